"""The notification use cases: notify once per event, list the inbox, dispatch queued e-mails."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from tenacity import AsyncRetrying, retry_if_result, stop_after_attempt, wait_exponential

from notification.application.ports import (
    EmailChannel,
    EmailJob,
    EmailQueue,
    Failed,
    InboxPage,
    NotificationStore,
    Sent,
)
from notification.domain.commands import Notify
from notification.domain.notification import Notification

log = logging.getLogger(__name__)


class NotificationService:
    def __init__(self, store: NotificationStore) -> None:
        self._store = store

    async def notify(self, cmd: Notify, *, event_id: str, occurred_at: datetime) -> bool:
        """Write the in-app notification now and queue its e-mail; True unless seen before.

        The e-mail is only queued here, never sent: an SMTP outage cannot hold up or fail
        the in-app notification, and a redelivered event cannot queue a second e-mail.
        """
        notification = Notification.compose(cmd, event_id=event_id, at=occurred_at)
        created = await self._store.record_once(event_id, notification)
        if created:
            log.info("notification recorded", extra={
                "notification_id": str(notification.id), "kind": str(notification.kind),
                "email_queued": notification.email is not None})
        return created

    async def inbox(self, customer_id: str, limit: int, cursor: str | None) -> InboxPage:
        """Raises InvalidCursor for a cursor this service did not hand out."""
        return await self._store.page(customer_id, limit, cursor)


def _transient(outcome: Sent | Failed) -> bool:
    return isinstance(outcome, Failed) and not outcome.permanent


class EmailDispatcher:
    """Sends queued e-mails: quick retries in hand, then the queue's slower retries, then the
    dead letters. Runs on its own, so the in-app channel never waits for it."""

    def __init__(self, queue: EmailQueue, channel: EmailChannel, *, max_attempts: int = 5,
                 tries_per_attempt: int = 3, backoff_seconds: float = 0.2,
                 batch: int = 16) -> None:
        self._queue = queue
        self._channel = channel
        self._max_attempts = max_attempts
        self._tries = tries_per_attempt
        self._backoff = backoff_seconds
        self._batch = batch

    async def dispatch_once(self) -> int:
        """Take what is due and settle each job; answers how many were taken."""
        jobs = await self._queue.take(self._batch)
        await asyncio.gather(*(self._deliver(job) for job in jobs))
        return len(jobs)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.dispatch_once()
            except Exception:
                # The queue itself is unreachable; nothing is lost, jobs wait in it.
                log.exception("e-mail dispatch failed; retrying in 1s")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    async def _deliver(self, job: EmailJob) -> None:
        outcome = await self._send(job)
        if isinstance(outcome, Sent):
            await self._queue.sent(job)
            log.info("e-mail sent", extra={"notification_id": str(job.email.notification_id),
                                           "attempt": job.attempt})
        elif outcome.permanent or job.attempt >= self._max_attempts:
            await self._queue.dead_letter(job, outcome.reason)
            log.error("e-mail dead-lettered", extra={
                "notification_id": str(job.email.notification_id), "attempt": job.attempt,
                "reason": outcome.reason})
        else:
            await self._queue.retry_later(job, outcome.reason)
            log.warning("e-mail failed; the queue will retry it", extra={
                "notification_id": str(job.email.notification_id), "attempt": job.attempt,
                "reason": outcome.reason})

    async def _send(self, job: EmailJob) -> Sent | Failed:
        outcome: Sent | Failed = Failed("not tried", permanent=False)
        async for attempt in AsyncRetrying(
            retry=retry_if_result(_transient),
            stop=stop_after_attempt(self._tries),
            wait=wait_exponential(multiplier=self._backoff, max=2.0),
            retry_error_callback=lambda _: None,  # out of tries: hand back the last outcome
        ):
            with attempt:
                try:
                    outcome = await self._channel.send(job.email)
                except Exception as exc:  # an adapter bug must not lose the job
                    outcome = Failed(f"unexpected: {exc!r}", permanent=False)
            attempt.retry_state.set_result(outcome)
        return outcome

"""Transactional outbox for PostgreSQL: events are written in the caller's transaction, then published.

Two paths publish, both with `Nats-Msg-Id` = event id so JetStream stores each event once:

- `OutboxPublisher`, the fast path: right after a transaction commits, its events go to
  JetStream from the process that wrote them, and are marked published in small batches.
- `OutboxRelay`, the guarantee: whatever the fast path did not confirm (NATS away, an ack lost,
  a process killed between commit and ack) is still unpublished in the table, and the relay
  publishes it once it is older than the relay's grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import nats.errors
import nats.js.errors
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from fitshop_common.events import Envelope
from fitshop_common.tracing import current_traceparent

log = logging.getLogger(__name__)

# One relay per database sweeps, so two replicas do not publish the same leftovers twice over.
_RELAY_LOCK_ID = 0x6F7574626F78

BACKLOG = Gauge("fitshop_outbox_backlog", "Outbox rows not yet published")
PUBLISHED = Counter("fitshop_outbox_published_total", "Outbox rows published to JetStream")

ACK_SECONDS = 2.0
STALL_SECONDS = 0.05

PUBLISH_ERRORS = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.ConnectionClosedError,
    nats.errors.OutboundBufferLimitError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.APIError,
    nats.js.errors.TooManyStalledMsgsError,
    asyncio.TimeoutError,
    ConnectionError,
)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One outbox row: what JetStream receives for an event."""

    id: str
    subject: str
    payload: bytes
    headers: dict[str, str]

    def nats_headers(self) -> dict[str, str]:
        return {**self.headers, "Nats-Msg-Id": self.id}


async def add_to_outbox(conn: asyncpg.Connection, events: Sequence[Envelope]) -> list[OutboxMessage]:
    """Record `events` in the transaction `conn` is in; they exist only if it commits."""
    if not events:
        return []
    headers = {"traceparent": current_traceparent()}
    messages = [OutboxMessage(e.id, e.subject(), e.encode(), headers) for e in events]
    await conn.executemany(
        # `::text::jsonb` keeps this independent of the pool's JSON codecs.
        "INSERT INTO outbox (id, subject, payload, headers) VALUES ($1, $2, $3, $4::text::jsonb)",
        [(m.id, m.subject, m.payload, json.dumps(m.headers)) for m in messages],
    )
    return messages


class OutboxPublisher:
    """Publishes each committed transaction's events at once, and marks them published in batches.

    `send` is called by the unit of work after its commit: it hands the messages to the NATS
    client at once (so they leave with the next write, not after the request's answer) and
    waits for their acks in a task of its own; it never fails the caller. A message whose ack
    does not come stays unpublished in the outbox for the relay.
    Marking waits `mark_delay` seconds so that one UPDATE covers the acks of a busy moment.
    """

    def __init__(self, pool: asyncpg.Pool, js: JetStreamContext, *, mark_delay: float = 0.05) -> None:
        self._pool = pool
        self._js = js
        self._mark_delay = mark_delay
        self._acked: list[str] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._marking: asyncio.Task[None] | None = None

    async def send(self, messages: Sequence[OutboxMessage]) -> None:
        if not messages:
            return
        acks: list[asyncio.Future[Any]] = []
        try:
            for m in messages:  # one connection keeps them in order in the stream
                # A request never waits on the broker's backlog: the relay is there for that.
                acks.append(await self._js.publish_async(m.subject, m.payload,
                                                         wait_stall=STALL_SECONDS,
                                                         headers=m.nats_headers()))
        except PUBLISH_ERRORS as exc:
            log.info("event not sent at commit; the outbox relay will send it",
                     extra={"error": repr(exc)})
        task = asyncio.create_task(self._confirm(messages[:len(acks)], acks))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _confirm(self, messages: Sequence[OutboxMessage],
                       acks: list[asyncio.Future[Any]]) -> None:
        try:
            for m, ack in zip(messages, acks, strict=True):
                await asyncio.wait_for(ack, ACK_SECONDS)
                self._acked.append(m.id)
        except PUBLISH_ERRORS as exc:
            log.info("event not confirmed at commit; the outbox relay will send it",
                     extra={"error": repr(exc)})
        finally:
            for ack in acks:
                ack.cancel()  # no-op for the confirmed ones; frees the slots of the others
            if self._acked and (self._marking is None or self._marking.done()):
                self._marking = asyncio.create_task(self._mark_soon())

    async def _mark_soon(self) -> None:
        await asyncio.sleep(self._mark_delay)
        await self._mark()

    async def _mark(self) -> None:
        ids, self._acked = self._acked, []
        if not ids:
            return
        try:
            await self._pool.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])", ids)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            # Left unmarked: the relay publishes them again and the stream drops the copies.
            log.warning("could not mark published events", extra={"error": repr(exc),
                                                                    "events": len(ids)})
            return
        PUBLISHED.inc(len(ids))

    async def aclose(self) -> None:
        """Wait for the publishes in flight and mark what they confirmed (shutdown)."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        if self._marking is not None:
            self._marking.cancel()
            await asyncio.gather(self._marking, return_exceptions=True)
        await self._mark()


class OutboxRelay:
    """Publishes outbox rows left unpublished for `grace_seconds`, in `seq` order.

    The grace period is the publisher's time to confirm a row itself; a row both send is stored
    once. At-least-once: a row is marked published after JetStream acked it, so a relay killed
    in between republishes it, and the stream's duplicate window drops the copy. Only the holder
    of an advisory lock relays (one per database).
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        *,
        batch_size: int = 200,
        poll_seconds: float = 1.0,
        grace_seconds: float = 2.0,
        retention_seconds: float = 3600.0,
    ) -> None:
        self._pool = pool
        self._js = js
        self._batch = batch_size
        self._poll = poll_seconds
        self._grace = grace_seconds
        self._retention = retention_seconds
        self._backlog_measured_at = -1e9

    async def run(self, stop: asyncio.Event) -> None:
        async with self._pool.acquire() as leader:
            while not stop.is_set():
                if await leader.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK_ID):
                    break
                await _sleep_or_stop(stop, self._poll)  # another replica relays; stand by
            else:
                return
            try:
                await self._relay_until(stop)
            finally:
                await leader.execute("SELECT pg_advisory_unlock($1)", _RELAY_LOCK_ID)

    async def _relay_until(self, stop: asyncio.Event) -> None:
        ticks = 0
        while not stop.is_set():
            sent = await self.publish_pending(stop)
            ticks += 1
            if ticks % 600 == 0:
                await self._purge()
            if sent < self._batch:
                await _sleep_or_stop(stop, self._poll)

    async def publish_pending(self, stop: asyncio.Event | None = None) -> int:
        """Publish one batch; returns how many rows were published.

        The batch is pipelined: every row is sent before any ack is awaited, over the one NATS
        connection, so the stream stores them in `seq` order and a batch costs about one round
        trip instead of one per row (a relay that waits per row falls behind a busy process).
        A row whose ack does not come is published again, alone and with retries.
        """
        rows = await self._pool.fetch(
            "SELECT seq, id, subject, payload, headers::text AS headers FROM outbox"
            " WHERE published_at IS NULL AND created_at < now() - make_interval(secs => $2)"
            " ORDER BY seq LIMIT $1",
            self._batch,
            self._grace,
        )
        done: list[int] = []
        acks: list[asyncio.Future[Any]] = []
        try:
            for row in rows:
                subject, payload, headers = self._message(row)
                acks.append(await self._js.publish_async(subject, payload, headers=headers))
            for row, ack in zip(rows, acks, strict=True):
                try:
                    await asyncio.wait_for(ack, ACK_SECONDS)
                except PUBLISH_ERRORS:
                    await publish_until_acked(self._js, *self._message(row), stop)
                done.append(row["seq"])
        except PUBLISH_ERRORS:
            if stop is None or not stop.is_set():
                raise
        finally:
            for ack in acks[len(done):]:
                ack.cancel()  # frees its slot in the client's window of pending publishes
            # Mark what made it even when stopping or failing mid-batch, so little is resent.
            if done:
                await self._pool.execute(
                    "UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])", done
                )
                PUBLISHED.inc(len(done))
            await self._measure_backlog()
        return len(done)

    @staticmethod
    def _message(row: asyncpg.Record) -> tuple[str, bytes, dict[str, str]]:
        headers = json.loads(row["headers"])
        return row["subject"], bytes(row["payload"]), {**headers, "Nats-Msg-Id": str(row["id"])}

    async def _measure_backlog(self) -> None:
        now = time.monotonic()
        if now - self._backlog_measured_at >= 1.0:  # a gauge, not worth a query per batch
            self._backlog_measured_at = now
            BACKLOG.set(await self.backlog())

    async def backlog(self) -> int:
        return int(
            await self._pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        )

    async def _purge(self) -> None:
        await self._pool.execute(
            "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)",
            self._retention,
        )


async def publish_until_acked(
    js: JetStreamContext,
    subject: str,
    payload: bytes,
    headers: dict[str, str],
    stop: asyncio.Event | None,
) -> None:
    """Publish (headers carry `Nats-Msg-Id` = event id), retrying while NATS is away (tenacity).

    Only shutdown ends the wait, by re-raising the last publish error: the caller leaves the
    event pending, and the stream's dedup window absorbs any copy already stored.
    """
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(PUBLISH_ERRORS),
        wait=wait_exponential(multiplier=0.1, max=5.0),
        stop=lambda _: stop is not None and stop.is_set(),
        before_sleep=_log_retry,
        reraise=True,
    ):
        with attempt:
            await js.publish(subject, payload, timeout=ACK_SECONDS, headers=headers)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning(
        "publish to JetStream failed; retrying",
        extra={"attempt": state.attempt_number, "error": repr(error)},
    )


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)

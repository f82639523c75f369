"""Transactional outbox for PostgreSQL: events are written in the caller's transaction, a relay publishes them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence
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

CHANNEL = "fitshop_outbox"
# One relay per database publishes, so a given aggregate's events leave in commit order.
_RELAY_LOCK_ID = 0x6F7574626F78

BACKLOG = Gauge("fitshop_outbox_backlog", "Outbox rows not yet published")
PUBLISHED = Counter("fitshop_outbox_published_total", "Outbox rows published to JetStream")

ACK_SECONDS = 2.0

PUBLISH_ERRORS = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.ConnectionClosedError,
    nats.errors.OutboundBufferLimitError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.APIError,
    asyncio.TimeoutError,
    ConnectionError,
)


async def add_to_outbox(conn: asyncpg.Connection, events: Sequence[Envelope]) -> None:
    """Record `events` in the transaction `conn` is in; they are published only if it commits."""
    if not events:
        return
    traceparent = current_traceparent()
    await conn.executemany(
        # `::text::jsonb` keeps this independent of the pool's JSON codecs.
        "INSERT INTO outbox (id, subject, payload, headers) VALUES ($1, $2, $3, $4::text::jsonb)",
        [(e.id, e.subject(), e.encode(), json.dumps({"traceparent": traceparent})) for e in events],
    )
    # The table's statement trigger NOTIFYs CHANNEL (common migration 0002): PostgreSQL
    # delivers it at commit only, so the relay wakes exactly when there is something to send.


class OutboxRelay:
    """Publishes unpublished outbox rows to JetStream in `seq` order with `Nats-Msg-Id` = event id.

    At-least-once: a row is marked published after JetStream acked it, so a relay killed in
    between republishes it, and the stream's duplicate window drops the copy. Only the holder of
    an advisory lock relays (one per database), which keeps each aggregate's events in order.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        *,
        batch_size: int = 200,
        poll_seconds: float = 1.0,
        retention_seconds: float = 3600.0,
    ) -> None:
        self._pool = pool
        self._js = js
        self._batch = batch_size
        self._poll = poll_seconds
        self._retention = retention_seconds
        self._wake = asyncio.Event()
        self._backlog_measured_at = -1e9

    async def run(self, stop: asyncio.Event) -> None:
        async with self._pool.acquire() as leader:
            while not stop.is_set():
                if await leader.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK_ID):
                    break
                await _sleep_or_stop(stop, self._poll)  # another replica relays; stand by
            else:
                return
            listener = await self._pool.acquire()
            try:
                await listener.add_listener(CHANNEL, self._on_notify)
                await self._relay_until(stop)
            finally:
                await listener.remove_listener(CHANNEL, self._on_notify)
                await self._pool.release(listener)
                await leader.execute("SELECT pg_advisory_unlock($1)", _RELAY_LOCK_ID)

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _relay_until(self, stop: asyncio.Event) -> None:
        ticks = 0
        while not stop.is_set():
            self._wake.clear()
            sent = await self.publish_pending(stop)
            ticks += 1
            if ticks % 600 == 0:
                await self._purge()
            if sent < self._batch:
                waiter = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait(
                    {waiter, stopper}, timeout=self._poll, return_when=asyncio.FIRST_COMPLETED
                )
                waiter.cancel()
                stopper.cancel()

    async def publish_pending(self, stop: asyncio.Event | None = None) -> int:
        """Publish one batch; returns how many rows were published.

        The batch is pipelined: every row is sent before any ack is awaited, over the one NATS
        connection, so the stream stores them in `seq` order and a batch costs about one round
        trip instead of one per row (a relay that waits per row falls behind a busy process).
        A row whose ack does not come is published again, alone and with retries.
        """
        rows = await self._pool.fetch(
            "SELECT seq, id, subject, payload, headers::text AS headers FROM outbox"
            " WHERE published_at IS NULL ORDER BY seq LIMIT $1",
            self._batch,
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

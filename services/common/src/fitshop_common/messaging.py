"""JetStream plumbing: connect, ensure streams and durable consumers, run handlers, dead-letter poison."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from prometheus_client import Counter, Gauge

from fitshop_common.events import (
    DEAD_LETTER_PREFIX,
    DEAD_LETTER_STREAM,
    Envelope,
    decode_envelope,
    stream_for,
)
from fitshop_common.logs import correlation_id
from fitshop_common.settings import NatsSettings
from fitshop_common.tracing import continue_or_start

log = logging.getLogger(__name__)

Handler = Callable[[Envelope], Awaitable[None]]

HANDLED = Counter("fitshop_events_handled_total", "Events handled", ["durable", "outcome"])
PENDING = Gauge(
    "fitshop_consumer_pending",
    "Messages in the stream not yet delivered to this consumer",
    ["durable"],
)


class Poison(Exception):
    """The event can never be processed as it is: dead-letter it now instead of retrying."""


async def connect(settings: NatsSettings, name: str) -> NATS:
    """A client that keeps reconnecting forever: a broker outage must not kill the service."""
    return await nats.connect(
        settings.nats_url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        allow_reconnect=True,
        connect_timeout=2,
    )


def nats_check(nc: NATS) -> Callable[[], Awaitable[object]]:
    async def check() -> object:
        if not nc.is_connected:
            raise ConnectionError("not connected to NATS")
        await nc.flush(timeout=1)
        return True

    return check


async def ensure_stream(js: JetStreamContext, context: str, settings: NatsSettings) -> str:
    """Create or update the stream of `context` (`fitshop.<context>.>`); same call on every side."""
    name = stream_for(context)
    subjects = [f"fitshop.{context}.>"]
    if context == "deadletter":
        name, subjects = DEAD_LETTER_STREAM, [f"{DEAD_LETTER_PREFIX}.>"]
    config = StreamConfig(
        name=name,
        subjects=subjects,
        storage=StorageType.FILE,
        duplicate_window=settings.nats_duplicate_window_seconds,
    )
    try:
        await js.add_stream(config)
    except nats.js.errors.BadRequestError:
        await js.update_stream(config)  # exists with another config: converge on ours
    return str(name)


class EventConsumer:
    """One durable pull consumer `<service>-<stream>` feeding events to plain async handlers.

    Outcomes are explicit: ack after the handler returns; nak with a growing delay when it
    raises (transient); after `max_deliver` attempts, or at once on `Poison` / undecodable
    data, publish to `fitshop.deadletter.<durable>` with the reason and terminate the message.
    Handlers must be idempotent (see fitshop_common.inbox): delivery is at least once.

    Messages are pulled the way JetStream's own clients "consume" (ADR-13 pull requests):
    an open request for as many messages as there are free handler slots, topped up before
    it runs dry and renewed when it expires, so an event costs its delivery and its ack. A
    per-batch `fetch` would instead cost a probe, a "no messages" answer and a new waiting
    request for nearly every event of a steady trickle. Replicas' requests all wait on the
    same durable, which hands each message to one of them.
    """

    def __init__(
        self,
        nc: NATS,
        *,
        service: str,
        context: str,
        handlers: Mapping[str, Handler],
        settings: NatsSettings,
        max_deliver: int = 5,
        ack_wait: float = 30.0,
        concurrency: int = 16,
        nak_delays: tuple[float, ...] = (0.2, 1.0, 5.0, 15.0),
        pull_expires: float = 30.0,
        heartbeat: float = 1.0,
    ) -> None:
        self._nc = nc
        self._js = nc.jetstream()
        self._context = context
        self._stream = stream_for(context)
        self.durable = f"{service}-{self._stream.lower()}"
        self._handlers = dict(handlers)
        self._settings = settings
        self._max_deliver = max_deliver
        self._ack_wait = ack_wait
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._nak_delays = nak_delays
        self._in_flight: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._pull_expires = pull_expires
        self._heartbeat = heartbeat
        self._inbox = ""
        self._requested = 0  # messages asked for in open pull requests, not yet delivered
        self._heard_at = 0.0  # last message, heartbeat or status from the server

    async def ensure(self) -> None:
        await ensure_stream(self._js, self._context, self._settings)
        await ensure_stream(self._js, "deadletter", self._settings)
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._ack_wait,
            max_deliver=self._max_deliver,
            filter_subjects=sorted(f"fitshop.{self._context}.{t}" for t in self._handlers),
            max_ack_pending=max(self._concurrency * 4, 64),
        )
        # Without an explicit action the server creates the consumer or updates it in place.
        await self._js.add_consumer(self._stream, config)

    async def run(self, stop: asyncio.Event) -> None:
        self._stopping = stop
        await self.ensure()
        loop = asyncio.get_running_loop()
        self._inbox = self._nc.new_inbox()
        self._requested, self._heard_at = 0, loop.time()
        sub = await self._nc.subscribe(self._inbox, cb=self._on_message)
        try:
            while not stop.is_set():
                await self._top_up()
                if loop.time() - self._heard_at > 3 * self._heartbeat:
                    # Not even a heartbeat: the server lost our requests (restart, reconnect,
                    # the consumer recreated). Ask afresh.
                    self._requested, self._heard_at = 0, loop.time()
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._heartbeat)
        finally:
            # No new requests; let the server see our interest go (it then drops the waiting
            # requests), and handle what it had already sent.
            with contextlib.suppress(nats.errors.Error):
                await sub.drain()  # type: ignore[no-untyped-call]
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _top_up(self) -> None:
        """Ask for more once the open requests cover half the free slots or less."""
        free = self._free_slots() - self._requested
        if self._stopping.is_set() or free <= 0 or self._requested > self._concurrency // 2:
            return
        request = {"batch": free, "expires": int(self._pull_expires * 1e9),
                   "idle_heartbeat": int(self._heartbeat * 1e9)}
        try:
            await self._nc.publish(f"$JS.API.CONSUMER.MSG.NEXT.{self._stream}.{self.durable}",
                                   json.dumps(request).encode(), reply=self._inbox)
        except (nats.errors.ConnectionClosedError, nats.errors.OutboundBufferLimitError) as exc:
            log.warning("pull request not sent (%r); retrying", exc)  # broker away: keep trying
            return
        self._requested += free

    async def _on_message(self, msg: Msg) -> None:
        """Called for each message on our inbox, one at a time: hand events to handler tasks."""
        self._heard_at = asyncio.get_running_loop().time()
        status = (msg.headers or {}).get("Status") if not msg.data else None
        if status is not None:
            self._on_status(status, msg.headers or {})
            return
        self._requested = max(0, self._requested - 1)
        await self._slots.acquire()
        task = asyncio.create_task(self._process(msg))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        await self._top_up()

    def _on_status(self, status: str, headers: Mapping[str, str]) -> None:
        if status == "100":
            return  # idle heartbeat: the request is alive
        if status in ("408", "409"):
            # One request ended (expired, or cut short): forget what it still had to deliver.
            left = headers.get("Nats-Pending-Messages")
            self._requested = max(0, self._requested - int(left)) if left else 0
            if status == "409":
                log.info("pull request ended by the server",
                         extra={"durable": self.durable, "reason": headers.get("Description")})
            return
        log.warning("unexpected pull status", extra={"durable": self.durable, "status": status,
                                                      "reason": headers.get("Description")})

    def _free_slots(self) -> int:
        return self._concurrency - len(self._in_flight)

    async def _process(self, msg: Msg) -> None:
        try:
            await self.handle(msg)
        except Exception:
            log.exception("consumer %s could not settle a message", self.durable)
        finally:
            self._slots.release()
        with contextlib.suppress(nats.errors.Error):
            await self._top_up()

    async def handle(self, msg: Msg) -> None:
        """Settle one message (public so tests can drive it message by message)."""
        delivered = msg.metadata.num_delivered
        try:
            event = decode_envelope(msg.data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            await self._dead_letter(msg, f"undecodable event: {exc}")
            return
        correlation_id.set(event.correlation_id)
        continue_or_start((msg.headers or {}).get("traceparent"))
        handler = self._handlers.get(event.type)
        if handler is None:  # a type we do not filter for cannot arrive, but be explicit
            await msg.ack()
            HANDLED.labels(self.durable, "ignored").inc()
            return
        try:
            await handler(event)
        except Poison as exc:
            await self._dead_letter(msg, f"poison: {exc}")
        except Exception as exc:
            if delivered >= self._max_deliver:
                await self._dead_letter(msg, f"failed {delivered} times, last: {exc!r}")
                return
            delay = self._nak_delays[min(delivered - 1, len(self._nak_delays) - 1)]
            log.warning(
                "handler failed; will retry",
                extra={
                    "event_id": event.id,
                    "event_type": event.type,
                    "attempt": delivered,
                    "retry_in": delay,
                    "error": repr(exc),
                },
            )
            await msg.nak(delay=delay)
            HANDLED.labels(self.durable, "retried").inc()
        else:
            if self._stopping.is_set():
                # Shutting down: wait for the server to confirm, so that nothing finished here
                # is delivered again to the instance that takes over.
                await msg.ack_sync(timeout=5)
            else:
                # Running: not waiting saves a round trip per event. Should the ack be lost,
                # the redelivery finds the event in the handler's inbox and does nothing.
                await msg.ack()
            HANDLED.labels(self.durable, "ok").inc()

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        meta = msg.metadata
        headers: dict[str, Any] = {
            "Fitshop-Dead-Reason": reason[:1000],
            "Fitshop-Original-Subject": msg.subject,
            "Fitshop-Original-Stream": meta.stream,
            "Fitshop-Original-Sequence": str(meta.sequence.stream),
            "Fitshop-Consumer": self.durable,
            # The same message dead-lettered twice (crash before term) is stored once.
            "Nats-Msg-Id": f"{self.durable}:{meta.stream}:{meta.sequence.stream}",
        }
        await self._js.publish(f"{DEAD_LETTER_PREFIX}.{self.durable}", msg.data, headers=headers)
        await msg.term()
        HANDLED.labels(self.durable, "dead_lettered").inc()
        log.error(
            "event dead-lettered",
            extra={"reason": reason, "subject": msg.subject, "stream_seq": meta.sequence.stream},
        )

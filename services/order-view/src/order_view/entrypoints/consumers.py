"""JetStream inbound adapter: two durable consumers whose handlers are plain async functions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import nats.js.errors
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from redis.exceptions import RedisError

from fitshop_common.events import stream_for
from fitshop_common.messaging import EventConsumer, Handler
from fitshop_common.settings import NatsSettings
from order_view.adapters.redis_keyspaces import RedisKeyspaces
from order_view.application.projection import DELIVERY_EVENTS, ORDER_EVENTS, Projection
from order_view.settings import SERVICE, OrderViewSettings

log = logging.getLogger(__name__)


def handlers(projection: Projection) -> dict[str, Handler]:
    """Every projected event type → the projection's handler (unit tests call these directly)."""
    return dict.fromkeys((*ORDER_EVENTS, *DELIVERY_EVENTS), projection.handle)


CONTEXTS = (("orders", ORDER_EVENTS), ("delivery", DELIVERY_EVENTS))


async def forget_positions(js: JetStreamContext) -> list[str]:
    """Delete our durables so that they start again from each stream's first event.

    For a Redis that holds no view (first start, or data lost: our Redis keeps no copy on
    disk): the durables may have acknowledged events long ago that the view no longer has.
    Applying everything again is safe: versions decide, duplicates change nothing.
    """
    forgotten = []
    for context, _ in CONTEXTS:
        durable = f"{SERVICE}-{stream_for(context).lower()}"
        try:
            await js.delete_consumer(stream_for(context), durable)
        except nats.js.errors.NotFoundError:
            continue
        forgotten.append(durable)
    return forgotten


def build_consumers(nc: NATS, projection: Projection, nats: NatsSettings,
                    settings: OrderViewSettings) -> list[EventConsumer]:
    """Durables `order-view-orders` (stream ORDERS) and `order-view-delivery` (stream DELIVERY)."""
    by_type: Mapping[str, Handler] = handlers(projection)
    return [
        EventConsumer(nc, service=SERVICE, context=context,
                      handlers={t: by_type[t] for t in types},
                      settings=nats, concurrency=settings.consumer_concurrency)
        for context, types in CONTEXTS
    ]


class Projector:
    """Runs both durable consumers, and starts them over from the first event whenever Redis
    turns out to hold no view (a first start, or a Redis that lost its data while we ran)."""

    def __init__(self, js: JetStreamContext, consumers: list[EventConsumer],
                 keyspaces: RedisKeyspaces, *, check_seconds: float = 5.0) -> None:
        self._js = js
        self._consumers = consumers
        self._keyspaces = keyspaces
        self._check_seconds = check_seconds

    async def run(self, stop: asyncio.Event) -> None:
        empty = await self._view_missing()
        while not stop.is_set():
            if empty and (forgotten := await forget_positions(self._js)):
                log.warning("Redis holds no view; projecting every stored event again",
                            extra={"durables": forgotten})
            round_over = asyncio.Event()
            running = [asyncio.create_task(c.run(round_over), name=c.durable)
                       for c in self._consumers]
            try:
                empty = await self._watch(stop, running)
            finally:
                round_over.set()
                await asyncio.gather(*running, return_exceptions=True)

    async def _watch(self, stop: asyncio.Event, running: list[asyncio.Task[None]]) -> bool:
        """Until stopped (False) or the view is found missing (True); a crashed consumer raises."""
        stopped = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                done, _ = await asyncio.wait([*running, stopped], timeout=self._check_seconds,
                                             return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task is not stopped:
                        task.result()  # re-raises; the app's worker supervisor restarts us
                        raise RuntimeError(f"consumer {task.get_name()} stopped by itself")
                if not stop.is_set() and await self._view_missing():
                    return True
            return False
        finally:
            stopped.cancel()

    async def _view_missing(self) -> bool:
        try:
            return await self._keyspaces.ensure_initial()
        except (RedisError, OSError) as exc:  # Redis away is not the same as Redis emptied
            log.warning("cannot check the view in Redis: %r", exc)
            return False

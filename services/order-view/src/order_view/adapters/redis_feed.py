"""Live view changes over Redis pub/sub: the apply script publishes, each SSE client subscribes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import msgspec
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from order_view.adapters.redis_keys import Keys
from order_view.application.ports import StoredView, Subscription, UpdateFeed

_decoder = msgspec.json.Decoder(StoredView)


class _PubSubSubscription(Subscription):
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def next(self, within: float) -> StoredView | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (remaining := deadline - loop.time()) > 0:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True,
                                                     timeout=remaining)
            if message is not None and message["type"] == "message":
                return _decoder.decode(message["data"])
        return None


class RedisUpdateFeed(UpdateFeed):
    """One pub/sub connection per subscriber: simple, and closing it is the whole clean-up."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    @asynccontextmanager
    async def subscribe(self, customer_id: str) -> AsyncIterator[Subscription]:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._keys.channel(customer_id))
            yield _PubSubSubscription(pubsub)
        finally:
            # A client disconnect arrives as cancellation of the whole response scope, which
            # cancels every await in it again: shield the clean-up so that it always completes.
            # Closing the connection ends the subscription on the server.
            with anyio.CancelScope(shield=True):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

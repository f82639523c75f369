"""One place builds everything: Redis and NATS clients, the projection, its consumers, the queries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from redis.asyncio import Redis

from fitshop_common.messaging import connect
from fitshop_common.settings import NatsSettings, RedisSettings
from order_view.adapters.redis_feed import RedisUpdateFeed
from order_view.adapters.redis_keys import Keys
from order_view.adapters.redis_keyspaces import RedisKeyspaces
from order_view.adapters.redis_views import RedisViewReader, RedisViewStore
from order_view.application.my_orders import MyOrders
from order_view.application.projection import Projection
from order_view.entrypoints.consumers import Projector, build_consumers
from order_view.settings import SERVICE, OrderViewSettings


@dataclass
class Runtime:
    redis: Redis
    nc: NATS
    js: JetStreamContext
    keys: Keys
    settings: OrderViewSettings
    projection: Projection
    my_orders: MyOrders
    projector: Projector


@asynccontextmanager
async def bootstrap(*, redis: RedisSettings, nats: NatsSettings,
                    settings: OrderViewSettings) -> AsyncIterator[Runtime]:
    client = Redis.from_url(redis.redis_url)
    keys = Keys(settings.key_prefix)
    try:
        nc = await connect(nats, SERVICE)
        try:
            js = nc.jetstream()
            projection = Projection(RedisViewStore(client, keys))
            yield Runtime(
                redis=client, nc=nc, js=js, keys=keys, settings=settings, projection=projection,
                my_orders=MyOrders(RedisViewReader(client, keys), RedisUpdateFeed(client, keys)),
                projector=Projector(js, build_consumers(nc, projection, nats, settings),
                                    RedisKeyspaces(client, keys),
                                    check_seconds=settings.redis_check_seconds),
            )
        finally:
            await nc.drain()
    finally:
        await client.aclose()

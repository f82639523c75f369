"""The Redis adapters follow the keyspace pointers even when their last look at them is stale."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from order_view.adapters.redis_keys import Keys
from order_view.adapters.redis_keyspaces import RedisKeyspaces
from order_view.adapters.redis_views import RedisViewReader, RedisViewStore
from order_view.application.projection import Projection
from tests.contract.order_view.events import delivery, order_placed


def fresh_keys() -> Keys:
    return Keys(base=f"order-view-test-{uuid.uuid4().hex[:8]}")


async def test_a_writer_that_looked_before_a_rebuild_began_also_writes_the_new_keyspace(
        redis: Redis) -> None:
    keys = fresh_keys()
    keyspaces = RedisKeyspaces(redis, keys)
    await keyspaces.ensure_initial()
    live = Projection(RedisViewStore(redis, keys))
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    await live.apply(order_placed(first))  # the store now remembers "v1, nothing being built"
    building = await keyspaces.begin_build()
    await live.apply(order_placed(second))
    assert await redis.hexists(keys.view("v1", second), "order")
    assert await redis.hexists(keys.view(building, second), "order")
    assert not await redis.hexists(keys.view(building, first), "order")  # the replay's job


async def test_after_a_switch_stale_writers_and_readers_follow_the_new_keyspace(
        redis: Redis) -> None:
    keys = fresh_keys()
    keyspaces = RedisKeyspaces(redis, keys)
    await keyspaces.ensure_initial()
    store, reader = RedisViewStore(redis, keys), RedisViewReader(redis, keys)
    order_id = str(uuid.uuid4())
    await Projection(store).apply(order_placed(order_id))
    assert await reader.get(order_id) is not None  # both now remember v1
    building = await keyspaces.begin_build()
    await Projection(keyspaces.store(building)).apply(order_placed(order_id))
    await keyspaces.switch_to(building)
    await Projection(store).apply(delivery("requested", order_id, version=1))
    stored = await reader.get(order_id)
    assert stored is not None and stored.delivery is not None  # read from the new keyspace
    assert await redis.hexists(keys.view(building, order_id), "delivery")
    assert not await redis.hexists(keys.view("v1", order_id), "delivery")  # not the old one

"""Rebuilding the view from the streams: equals the live view, and readers never fail meanwhile."""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import uuid
from collections import Counter

import httpx2
import pytest
from nats.js import JetStreamContext
from redis.asyncio import Redis

from fitshop_common.events import Envelope
from fitshop_common.settings import NatsSettings, RedisSettings
from order_view.adapters.redis_keyspaces import RebuildRefused
from order_view.application.my_orders import MyOrders
from order_view.application.projection import Projection
from order_view.rebuild import rebuild
from order_view.settings import OrderViewSettings
from tests.contract.order_view.events import at, cancelled_story, delivered_story, order_placed
from tests.integration.order_view.support import bearer, consumers_idle, publish
from tests.support.tokens import Signer
from tests.support.waiting import eventually
from tests.unit.order_view.fakes import FakeFeed, FakeViewReader, FakeViewStore

CUSTOMERS = ("alice", "bob", "carol")


def stories(count: int, offset: int = 0) -> dict[str, tuple[str, list[Envelope]]]:
    """order id → (customer, its events in order), a mix of delivered, cancelled and just placed."""
    result = {}
    for n in range(offset, offset + count):
        order_id, customer = str(uuid.uuid4()), CUSTOMERS[n % 3]
        events = (delivered_story(order_id, customer) if n % 3 == 0
                  else cancelled_story(order_id, customer) if n % 3 == 1
                  else [order_placed(order_id, customer, placed_at=at(n))])
        result[order_id] = (customer, events)
    return result


async def expected_views(all_stories: dict[str, tuple[str, list[Envelope]]]) -> dict[str, dict]:  # type: ignore[type-arg]
    store = FakeViewStore()
    for _, events in all_stories.values():
        for event in events:
            await Projection(store).apply(event)
    my_orders = MyOrders(FakeViewReader(store), FakeFeed())
    views = {}
    for order_id, (customer, _) in all_stories.items():
        view = await my_orders.one(customer, order_id)
        assert view is not None
        views[order_id] = json.loads(json.dumps(view, default=_plain))
    return views


def _plain(value: object) -> object:
    import msgspec
    return msgspec.to_builtins(value)


async def served_views(client: httpx2.AsyncClient, signer: Signer) -> dict[str, dict]:  # type: ignore[type-arg]
    views = {}
    for customer in CUSTOMERS:
        cursor = None
        while True:
            params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            body = (await client.get("/api/v1/my-orders", params=params,
                                     headers=bearer(signer.token(customer)))).json()
            views.update({item["order_id"]: item for item in body["items"]})
            if not (cursor := body["next_cursor"]):
                break
    return views


@pytest.mark.slow
async def test_the_rebuilt_view_equals_the_live_one_and_readers_never_fail_meanwhile(
    client: httpx2.AsyncClient, js: JetStreamContext, signer: Signer, redis: Redis,
    redis_settings: RedisSettings, nats_settings: NatsSettings, view_settings: OrderViewSettings,
) -> None:
    before = stories(90)
    await publish(js, [e for _, events in before.values() for e in events])
    await eventually(lambda: consumers_idle(js))
    live = await served_views(client, signer)
    assert live == await expected_views(before)

    outcomes: Counter[str] = Counter()
    stop = asyncio.Event()

    async def read_all_the_time() -> None:
        rng = random.Random(1)
        ids = list(before)
        while not stop.is_set():
            order_id = rng.choice(ids)
            customer = before[order_id][0]
            one = await client.get(f"/api/v1/my-orders/{order_id}", headers=bearer(signer.token(customer)))
            page = await client.get("/api/v1/my-orders", params={"limit": 200},
                                    headers=bearer(signer.token(customer)))
            ok = (one.status_code == 200 and one.json() == live[order_id] and page.status_code == 200
                  and order_id in {item["order_id"] for item in page.json()["items"]})
            outcomes["ok" if ok else f"failed {one.status_code}/{page.status_code}"] += 1

    during = stories(30, offset=90)

    async def keep_the_shop_busy() -> None:  # live events keep arriving during the rebuild
        for _, events in during.values():
            await publish(js, events)
            await asyncio.sleep(0.005)

    readers = [asyncio.create_task(read_all_the_time()) for _ in range(4)]
    busy = asyncio.create_task(keep_the_shop_busy())
    report = await rebuild(redis=redis_settings, nats=nats_settings, settings=view_settings,
                           grace_seconds=0.5)
    await busy
    stop.set()
    await asyncio.gather(*readers)

    assert set(outcomes) == {"ok"}, outcomes
    assert outcomes["ok"] > 50  # they really read throughout
    assert (report.keyspace, report.previous) == ("v2", "v1")
    assert report.events["orders"] >= 90 + 2 * 30 // 3  # everything stored when it began, at least
    assert await redis.get("order-view:current") == b"v2"
    assert await redis.get("order-view:building") is None
    assert [k async for k in redis.scan_iter(match="order-view:v1:*")] == []

    await eventually(lambda: consumers_idle(js))
    assert await served_views(client, signer) == await expected_views({**before, **during})


async def test_a_rebuild_of_empty_streams_switches_to_an_empty_keyspace(
    redis: Redis, redis_settings: RedisSettings, nats_settings: NatsSettings,
    view_settings: OrderViewSettings,
) -> None:
    report = await rebuild(redis=redis_settings, nats=nats_settings, settings=view_settings,
                           grace_seconds=0)
    assert report.events == {"orders": 0, "delivery": 0} and report.keyspace == "v2"
    assert await redis.get("order-view:current") == b"v2"


async def test_a_second_rebuild_is_refused_while_one_is_running(
    redis: Redis, redis_settings: RedisSettings, nats_settings: NatsSettings,
    view_settings: OrderViewSettings,
) -> None:
    await redis.set("order-view:building", "v7", px=10_000)
    with pytest.raises(RebuildRefused, match="v7"):
        await rebuild(redis=redis_settings, nats=nats_settings, settings=view_settings,
                      grace_seconds=0)
    assert await redis.get("order-view:current") == b"v1"


async def test_python_m_order_view_rebuild_switches_and_prints_its_report(
    js: JetStreamContext, redis: Redis, redis_url: str, nats_url: str,
) -> None:
    order_id = str(uuid.uuid4())
    await publish(js, delivered_story(order_id))
    env = {**os.environ, "REDIS_URL": redis_url, "NATS_URL": nats_url}
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "order_view.rebuild", "--grace", "0"],
        env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["keyspace"] == "v2" and report["events"] == {"orders": 1, "delivery": 4}
    assert await redis.hget(f"order-view:v2:order:{order_id}", "delivery_version") == b"4"

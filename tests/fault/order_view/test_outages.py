"""Fault drills: the broker restarts mid-burst, order-view itself is down for a while — nothing lost."""

from __future__ import annotations

import asyncio
import uuid

import httpx2
import pytest
from nats.js import JetStreamContext
from redis.asyncio import Redis

from fitshop_common.security import TokenVerifier
from fitshop_common.settings import JwtSettings, NatsSettings, RedisSettings
from fitshop_devstack.servers import Nats
from fitshop_devstack.servers import Redis as RedisServer
from order_view.entrypoints.http import create_app
from order_view.settings import OrderViewSettings
from tests.contract.order_view.events import at, delivery, order_placed
from tests.integration.order_view.support import (
    bearer,
    consumers_idle,
    publish,
    publish_with_retry,
    running,
)
from tests.support.tokens import Signer
from tests.support.waiting import eventually


@pytest.fixture
def view_settings() -> OrderViewSettings:
    """Check for a lost view every 0.3 s instead of 5 s, so the drills stay short."""
    return OrderViewSettings(sse_heartbeat_seconds=0.2, redis_check_seconds=0.3)


async def listed(client: httpx2.AsyncClient, token: str) -> set[str]:
    ids: set[str] = set()
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/my-orders", params=params, headers=bearer(token))
        if response.status_code != 200:
            return ids
        body = response.json()
        ids |= {item["order_id"] for item in body["items"]}
        if not (cursor := body["next_cursor"]):
            return ids


async def applied_once(redis: Redis, order_ids: list[str]) -> bool:
    """Every order's part was written by exactly one event (version 1, one marker each)."""
    versions = [await redis.hget(f"order-view:v1:order:{o}", "order_version") for o in order_ids]
    return all(v == b"1" for v in versions)


@pytest.mark.slow
async def test_nats_restarted_mid_burst_loses_no_event(
    client: httpx2.AsyncClient, js: JetStreamContext, nats_server: Nats, signer: Signer,
    redis: Redis,
) -> None:
    order_ids = [str(uuid.uuid4()) for _ in range(200)]
    published = 0

    async def burst() -> None:
        nonlocal published
        for n, order_id in enumerate(order_ids):
            await publish_with_retry(js, order_placed(order_id, "alice", placed_at=at(n)))
            published += 1
            await asyncio.sleep(0.005)

    sending = asyncio.create_task(burst())
    await eventually(lambda: _reached(lambda: published, 60), timeout=20)
    await asyncio.to_thread(nats_server.stop)
    assert published < len(order_ids)  # really mid-burst
    await asyncio.sleep(0.5)
    await asyncio.to_thread(nats_server.start)
    await asyncio.wait_for(sending, 60)

    token = signer.token("alice")
    await eventually(lambda: _all_listed(client, token, set(order_ids)), timeout=60, every=0.2)
    assert await applied_once(redis, order_ids)


async def _reached(value: object, target: int) -> bool:
    return value() >= target  # type: ignore[operator, no-any-return]


async def _all_listed(client: httpx2.AsyncClient, token: str, wanted: set[str]) -> bool:
    return await listed(client, token) >= wanted


async def test_order_view_down_then_back_catches_up_on_everything_published_meanwhile(
    js: JetStreamContext, redis_settings: RedisSettings, nats_settings: NatsSettings,
    view_settings: OrderViewSettings, jwt: JwtSettings, signer: Signer,
) -> None:
    verifier = TokenVerifier(jwt)
    first, later = [str(uuid.uuid4()) for _ in range(5)], [str(uuid.uuid4()) for _ in range(30)]
    token = signer.token("bob")

    async def service_run(check: set[str]) -> httpx2.Response:
        service = create_app(redis=redis_settings, nats=nats_settings, settings=view_settings,
                             token_verifier=verifier)
        async with running(service), httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=service), base_url="http://order-view") as http:
            await eventually(lambda: _all_listed(http, token, check), timeout=20)
            await eventually(lambda: consumers_idle(js), timeout=20)
            return await http.get(f"/api/v1/my-orders/{later[-1]}", headers=bearer(token))

    await publish(js, [order_placed(o, "bob") for o in first])
    await service_run(set(first))

    # order-view is down: orders keep being placed and delivered.
    await publish(js, [order_placed(o, "bob") for o in later])
    await publish(js, [delivery("requested", o, "bob", version=1) for o in later])
    last = await service_run(set(first) | set(later))
    assert last.json()["delivery_status"] == "REQUESTED"
    await verifier.aclose()


async def test_a_redis_that_lost_its_data_is_refilled_from_the_streams_on_the_next_start(
    js: JetStreamContext, redis_settings: RedisSettings, nats_settings: NatsSettings,
    view_settings: OrderViewSettings, jwt: JwtSettings, signer: Signer, redis_server: RedisServer,
) -> None:
    verifier = TokenVerifier(jwt)
    token = signer.token("dana")
    order_ids = [str(uuid.uuid4()) for _ in range(20)]
    await publish(js, [order_placed(o, "dana") for o in order_ids])

    async def start_and_wait_for_all() -> None:
        service = create_app(redis=redis_settings, nats=nats_settings, settings=view_settings,
                             token_verifier=verifier)
        async with running(service), httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=service), base_url="http://order-view") as http:
            await eventually(lambda: _all_listed(http, token, set(order_ids)), timeout=20)

    await start_and_wait_for_all()
    await asyncio.to_thread(redis_server.stop)  # our Redis keeps nothing on disk
    await asyncio.to_thread(redis_server.start)
    await start_and_wait_for_all()  # the durables had acked everything: only a replay helps
    await verifier.aclose()


@pytest.mark.slow
async def test_a_redis_emptied_while_order_view_runs_is_refilled_without_a_restart(
    client: httpx2.AsyncClient, js: JetStreamContext, signer: Signer, redis: Redis,
) -> None:
    token = signer.token("erin")
    order_ids = [str(uuid.uuid4()) for _ in range(20)]
    await publish(js, [order_placed(o, "erin") for o in order_ids])
    await eventually(lambda: _all_listed(client, token, set(order_ids)), timeout=20)

    await redis.flushall()
    assert await listed(client, token) == set()
    await eventually(lambda: _all_listed(client, token, set(order_ids)), timeout=20)

"""NATS down: the catalog keeps accepting changes, holds their events, and relays each once after."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx2
import nats
import pytest

from catalog.bootstrap import open_store
from catalog.domain.commands import RegisterProduct
from catalog.domain.product import Money, ProductDetails
from fitshop_common.messaging import ensure_stream
from fitshop_common.mongo_outbox import MongoOutboxRelay
from fitshop_common.settings import MongoSettings, NatsSettings
from fitshop_devstack.servers import Nats
from tests.integration.catalog.jetstream import stream_messages
from tests.integration.payment_gateway.granian_process import GranianProcess
from tests.support.tokens import JwksServer, Signer
from tests.support.waiting import eventually


async def catalog_stream(nats_url: str) -> list[tuple[str, bytes]]:
    nc = await nats.connect(nats_url)
    try:
        return await stream_messages(nc.jetstream())
    finally:
        await nc.close()


async def test_events_written_while_nats_is_down_are_relayed_once_when_it_returns(
    mongo_url: str, nats_url: str, nats_server: Nats,
) -> None:
    settings = NatsSettings(nats_url=nats_url)
    nc = await nats.connect(nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    js = nc.jetstream()
    await ensure_stream(js, "catalog", settings)
    async with open_store(MongoSettings(mongo_url=mongo_url)) as store:
        relay = MongoOutboxRelay(store.products.revisions, js, poll_seconds=0.1)
        store.products.on_saved = relay.wake
        stop = asyncio.Event()
        running = asyncio.create_task(relay.run(stop))
        try:
            nats_server.stop()
            for i in range(8):  # the catalog keeps working: the events wait in their revisions
                await store.service.register(RegisterProduct(
                    f"BAND-{i}", ProductDetails(f"저항밴드 {i}", "", "accessories", Money(24_000), 5)))
            await asyncio.sleep(1.0)  # the relay is retrying meanwhile
            assert await relay.backlog() == 8
            nats_server.start()
            await eventually(lambda: _count_is(nats_url, 8), timeout=30)
            await eventually(lambda: _no_backlog(relay), timeout=10)
        finally:
            stop.set()
            await asyncio.wait_for(running, 15)
            await nc.close()
    ids = [i for i, _ in await catalog_stream(nats_url)]
    assert len(ids) == len(set(ids)) == 8


async def _count_is(nats_url: str, count: int) -> bool:
    try:
        return len(await catalog_stream(nats_url)) == count
    except Exception:
        return False


async def _no_backlog(relay: MongoOutboxRelay) -> bool:
    return await relay.backlog() == 0


@pytest.fixture
def jwks() -> Iterator[tuple[Signer, JwksServer]]:
    signer = Signer()
    with JwksServer(signer).running() as server:
        yield signer, server


@pytest.mark.slow
async def test_the_served_catalog_accepts_products_while_nats_is_down_and_announces_them_after(
    mongo_url: str, nats_url: str, nats_server: Nats, jwks: tuple[Signer, JwksServer], tmp_path: Path,
) -> None:
    signer, server = jwks
    env = {"SERVICE_NAME": "catalog", "MONGO_URL": mongo_url, "NATS_URL": nats_url,
           **server.env, "CATALOG_RELAY_POLL_SECONDS": "0.2"}
    seller = {"Authorization": "Bearer " + signer.token("sam", ["seller"])}
    with GranianProcess("catalog.entrypoints.http:create_app", env, tmp_path / "catalog.log") as served:
        nats_server.stop()
        try:
            response = httpx2.post(served.url + "/api/v1/products", headers=seller, timeout=10, json={
                "sku": "PULLUP-BAR", "name": "문틀 철봉", "category": "accessories",
                "price": {"amount": 45_000}, "stock": 20})
            assert response.status_code == 201, response.text
            ready = httpx2.get(served.url + "/health/ready", timeout=5)
            assert ready.status_code == 503 and ready.json()["checks"]["nats"] != "up"
        finally:
            nats_server.start()
        await eventually(lambda: _count_is(nats_url, 1), timeout=30)
    [(msg_id, payload)] = await catalog_stream(nats_url)
    event = json.loads(payload)
    assert event["type"] == "product.registered" and event["data"]["sku"] == "PULLUP-BAR"
    assert msg_id == event["id"]

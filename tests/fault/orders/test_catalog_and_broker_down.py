"""Orders keep being accepted with catalog gone and even with the broker down (replica + outbox)."""

from __future__ import annotations

from typing import Any

import asyncpg
import nats
import pytest

from fitshop_common.messaging import ensure_stream
from fitshop_common.settings import NatsSettings
from orders.domain.money import Money
from orders.domain.product import Product
from tests.integration.orders.conftest import OrdersApp
from tests.integration.orders.scenario import DUMBBELL_ID, order_body, product_event
from tests.support.waiting import eventually


@pytest.mark.slow
async def test_with_catalog_gone_and_nats_down_orders_are_placed_and_their_events_wait(
        orders_app: OrdersApp, pool: asyncpg.Pool, nats_server: Any, nats_url: str,
        customer: dict[str, str]) -> None:
    # The replica learns the product from a catalog event; catalog itself never runs here.
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, "catalog", NatsSettings(nats_url=nats_url))
    event = product_event("product.registered", Product(
        DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(35_000), stock=10, version=1))
    await js.publish(event.subject(), event.encode())
    await nc.close()
    await eventually(lambda: pool.fetchval("SELECT count(*) FROM products"))

    nats_server.stop()
    try:
        response = await orders_app.client.post("/api/v1/orders",
                                                json=order_body((DUMBBELL_ID, 1)), headers=customer)
        assert response.status_code == 201, response.text
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1
    finally:
        nats_server.start()

    async def relayed() -> bool:
        return await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0

    await eventually(relayed)
    nc = await nats.connect(nats_url)
    info = await nc.jetstream().stream_info("ORDERS")
    await nc.close()
    assert info.state.messages == 1

"""Events over real JetStream: the replica follows catalog, orders follow delivery, the outbox publishes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from fitshop_common.events import Envelope, assert_conforms, decode_envelope
from fitshop_common.messaging import EventConsumer, ensure_stream
from fitshop_common.settings import NatsSettings
from orders.adapters.unit_of_work import OrdersUnitOfWork
from orders.application.service import OrdersService
from orders.bootstrap import gateway_from
from orders.domain.money import Money
from orders.domain.order import OrderStatus
from orders.domain.product import Product
from orders.entrypoints.consumers import catalog_handlers
from tests.integration.orders.conftest import OrdersApp
from tests.integration.orders.scenario import (
    DUMBBELL_ID,
    delivery_event,
    drill_settings,
    order_body,
    product_event,
    seed_replica,
)
from tests.integration.orders.served import PaymentMock
from tests.support.waiting import eventually


@pytest.fixture
def js(nc: NATS) -> JetStreamContext:
    return nc.jetstream()


@asynccontextmanager
async def consuming(consumer: EventConsumer) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def service_on(pool: asyncpg.Pool, payment: PaymentMock) -> OrdersService:
    return OrdersService(lambda: OrdersUnitOfWork(pool), gateway_from(drill_settings(payment.url)))


async def publish(js: JetStreamContext, *events: Envelope) -> None:
    for event in events:
        assert_conforms(event)  # what we feed ourselves is what the producers promise
        await js.publish(event.subject(), event.encode(), headers={"Nats-Msg-Id": event.id})


async def test_the_replica_follows_catalog_events_keeping_the_newest_version(
        pool: asyncpg.Pool, nc: NATS, js: JetStreamContext, nats_settings: NatsSettings,
        payment_mock: PaymentMock) -> None:
    service = service_on(pool, payment_mock)
    consumer = EventConsumer(nc, service="orders", context="catalog",
                             handlers=catalog_handlers(service), settings=nats_settings)
    assert consumer.durable == "orders-catalog"
    await ensure_stream(js, "catalog", nats_settings)
    dumbbell = Product(DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(35_000), 20, 1)
    v3 = Product(DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(31_000), 15, 3)
    v2_late = Product(DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(99_000), 1, 2)
    registered = product_event("product.registered", dumbbell)
    await publish(js, registered, product_event("product.updated", v3),
                  product_event("product.updated", v2_late))
    # the same event again under a new message id (a producer retry past the dedup window)
    await js.publish(registered.subject(), registered.encode())

    async def replica_price() -> int | None:
        return await pool.fetchval("SELECT price FROM products WHERE id = $1", DUMBBELL_ID)

    async def all_seen() -> bool:
        return await pool.fetchval(
            "SELECT count(*) FROM inbox WHERE consumer = 'orders-catalog'") == 3

    async with consuming(consumer):
        await eventually(all_seen)
        assert await replica_price() == 31_000
        await publish(js, product_event("product.deleted", Product.tombstone(DUMBBELL_ID, 4)))
        await eventually(lambda: pool.fetchval(
            "SELECT deleted FROM products WHERE id = $1", DUMBBELL_ID))
    row = await pool.fetchrow("SELECT version, stock FROM products WHERE id = $1", DUMBBELL_ID)
    assert (row["version"], row["stock"]) == (4, 0)


async def test_a_malformed_catalog_event_is_dead_lettered_and_the_stream_flows_on(
        pool: asyncpg.Pool, nc: NATS, js: JetStreamContext, nats_settings: NatsSettings,
        payment_mock: PaymentMock) -> None:
    service = service_on(pool, payment_mock)
    consumer = EventConsumer(nc, service="orders", context="catalog",
                             handlers=catalog_handlers(service), settings=nats_settings)
    await ensure_stream(js, "catalog", nats_settings)
    broken = Envelope.new("product.updated", {"product_id": DUMBBELL_ID, "price": "cheap"},
                          producer="catalog", correlation_id=DUMBBELL_ID)
    good = product_event("product.registered",
                         Product(DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(35_000), 5, 1))
    await js.publish(broken.subject(), broken.encode())
    await publish(js, good)
    async with consuming(consumer):
        await eventually(lambda: pool.fetchval("SELECT count(*) FROM products"))
        dead = await js.get_last_msg("DEADLETTER", "fitshop.deadletter.orders-catalog")
    assert decode_envelope(dead.data).id == broken.id
    assert "poison" in (dead.headers or {}).get("Fitshop-Dead-Reason", "")


async def test_orders_follow_delivery_events_once_and_never_backwards(
        orders_app: OrdersApp, pool: asyncpg.Pool, js: JetStreamContext,
        customer: dict[str, str]) -> None:
    await seed_replica(pool)
    placed = await orders_app.client.post("/api/v1/orders", json=order_body((DUMBBELL_ID, 1)),
                                          headers=customer)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    await ensure_stream(js, "delivery", NatsSettings())
    started = delivery_event("delivery.started", order_id, "STARTED", 2)
    await publish(js,
                  delivery_event("delivery.requested", order_id, "REQUESTED", 1),
                  started,
                  delivery_event("delivery.status_changed", order_id, "IN_TRANSIT", 3, "STARTED"))

    async def status() -> str:
        return str((await orders_app.client.get(f"/api/v1/orders/{order_id}",
                                                headers=customer)).json()["status"])

    await eventually(lambda: _is(status, "SHIPPING"))
    # redelivered and late news changes nothing
    await js.publish(started.subject(), started.encode())
    await publish(js, delivery_event("delivery.started", order_id, "STARTED", 2))
    await publish(js, delivery_event("delivery.status_changed", order_id, "DELIVERED", 4,
                                     "IN_TRANSIT"))
    await eventually(lambda: _is(status, "DELIVERED"))
    # consumers work in parallel, so STARTED may lose the race to IN_TRANSIT: it is then stale
    assert await pool.fetchval("SELECT delivery_version FROM orders WHERE id = $1", order_id) == 4
    refused = await orders_app.client.post(f"/api/v1/orders/{order_id}/cancel", headers=customer)
    assert refused.status_code == 409
    assert refused.json()["detail"] == ("This order cannot be cancelled: the order has been "
                                        "delivered and can no longer be cancelled.")


async def _is(read: Callable[[], Awaitable[str]], expected: str) -> bool:
    return await read() == expected


async def test_placing_and_cancelling_publish_conforming_events_through_the_outbox(
        orders_app: OrdersApp, pool: asyncpg.Pool, js: JetStreamContext,
        customer: dict[str, str]) -> None:
    await seed_replica(pool)
    placed = (await orders_app.client.post("/api/v1/orders", json=order_body((DUMBBELL_ID, 3)),
                                           headers=customer)).json()
    cancelled = await orders_app.client.post(f"/api/v1/orders/{placed['id']}/cancel",
                                             headers=customer)
    assert cancelled.status_code == 200

    async def both_published() -> bool:
        info = await js.stream_info("ORDERS")
        return bool(info.state.messages == 2)

    await eventually(both_published)
    first = await js.get_msg("ORDERS", 1)
    second = await js.get_msg("ORDERS", 2)
    events = [decode_envelope(first.data), decode_envelope(second.data)]
    assert [e.type for e in events] == ["order.placed", "order.cancelled"]
    for message, event in zip((first, second), events, strict=True):
        assert_conforms(event)
        assert (message.headers or {})["Nats-Msg-Id"] == event.id  # the stream dedups by event id
        assert event.correlation_id == placed["id"] and event.producer == "orders"
    assert first.subject == "fitshop.orders.order.placed"
    assert events[0].data["order_version"] < events[1].data["order_version"]
    assert events[0].data["total"] == {"amount": 105_000, "currency": "KRW"}
    assert events[1].data["refund"]["status"] == "CANCELLED"
    assert events[0].data["customer_email"] == "alice@example.com"

    async def marked_published() -> bool:
        # The relay marks rows after JetStream acked them, so this lags the stream a little.
        return bool(await pool.fetchval(
            "SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"))

    await eventually(marked_published)
    assert (await pool.fetchrow("SELECT status FROM orders WHERE id = $1", placed["id"]))[
        "status"] == OrderStatus.CANCELLED.value

"""The catalog-orders durable consumer moves stock once per order event, over real JetStream."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from catalog.bootstrap import Store
from catalog.domain.commands import RegisterProduct
from catalog.domain.product import Money, ProductDetails
from catalog.entrypoints.consumers import order_handlers
from fitshop_common.events import DEAD_LETTER_STREAM, Envelope, assert_conforms
from fitshop_common.messaging import EventConsumer, ensure_stream
from fitshop_common.settings import NatsSettings
from tests.support.waiting import eventually


def order_event(kind: str, lines: list[tuple[str, int]], order_id: str | None = None) -> Envelope:
    order_id = order_id or str(uuid.uuid4())
    line_data = [{"product_id": p, "name": "덤벨 10kg", "unit_price": {"amount": 39_000, "currency": "KRW"},
                  "quantity": q} for p, q in lines]
    total = {"amount": sum(39_000 * q for _, q in lines), "currency": "KRW"}
    payment = {"id": "pay_0123456789abcdef01234567", "status": "APPROVED", "amount": total}
    data: dict[str, Any] = {"order_id": order_id, "customer_id": "alice", "order_version": 2,
                            "lines": line_data, "total": total}
    if kind == "order.placed":
        data.update(shipping_address={"recipient": "김철수", "line1": "테헤란로 1", "city": "서울",
                                      "postal_code": "06236", "phone": "010-1234-5678"},
                    payment=payment, placed_at="2025-03-01T09:00:00Z")
    else:
        data.update(refund={**payment, "status": "REFUNDED"}, cancelled_at="2025-03-01T10:00:00Z",
                    order_version=3)
    event = Envelope.new(kind, data, producer="orders", correlation_id=order_id)
    assert_conforms(event)
    return event


async def publish(js: JetStreamContext, event: Envelope, msg_id: str | None = None) -> None:
    await js.publish(event.subject(), event.encode(), headers={"Nats-Msg-Id": msg_id or event.id})


@pytest.fixture
async def consumer(store: Store, nc: NATS, js: JetStreamContext,
                   nats_settings: NatsSettings) -> AsyncIterator[EventConsumer]:
    await ensure_stream(js, "orders", nats_settings)
    running = EventConsumer(nc, service="catalog", context="orders", handlers=order_handlers(store.service),
                            settings=nats_settings, nak_delays=(0.1,), max_deliver=3)
    stop = asyncio.Event()
    task = asyncio.create_task(running.run(stop))
    yield running
    stop.set()
    await asyncio.wait_for(task, 10)


async def dumbbell(store: Store, stock: int = 10) -> str:
    product = await store.service.register(RegisterProduct(
        "DUMBBELL-10KG", ProductDetails("덤벨 10kg", "", "weights", Money(39_000), stock)))
    return product.id


async def stock_is(store: Store, product_id: str, expected: int) -> bool:
    return (await store.service.get(product_id)).stock == expected


async def test_the_durable_consumer_is_named_after_catalog_and_the_orders_stream(consumer: EventConsumer) -> None:
    assert consumer.durable == "catalog-orders"


async def test_an_order_event_delivered_twice_takes_stock_once(
    store: Store, js: JetStreamContext, consumer: EventConsumer,
) -> None:
    product_id = await dumbbell(store)
    placed = order_event("order.placed", [(product_id, 3)])
    await publish(js, placed)
    await publish(js, placed, msg_id=f"{placed.id}-again")  # a second delivery, past dedup
    await eventually(lambda: stock_is(store, product_id, 7))
    await asyncio.sleep(1.0)  # give the second delivery every chance to apply
    product = await store.service.get(product_id)
    assert (product.stock, product.version) == (7, 2)


async def test_a_cancelled_order_returns_its_stock(
    store: Store, js: JetStreamContext, consumer: EventConsumer,
) -> None:
    product_id = await dumbbell(store)
    placed = order_event("order.placed", [(product_id, 4)])
    await publish(js, placed)
    await eventually(lambda: stock_is(store, product_id, 6))
    await publish(js, order_event("order.cancelled", [(product_id, 4)], placed.data["order_id"]))
    await eventually(lambda: stock_is(store, product_id, 10))


async def test_an_order_event_without_usable_lines_is_dead_lettered_and_the_stream_flows_on(
    store: Store, js: JetStreamContext, consumer: EventConsumer,
) -> None:
    product_id = await dumbbell(store)
    broken = Envelope.new("order.placed", {"order_id": str(uuid.uuid4()), "lines": "lots"},
                          producer="orders", correlation_id="broken")
    await publish(js, broken)
    await publish(js, order_event("order.placed", [(product_id, 1)]))
    await eventually(lambda: stock_is(store, product_id, 9))

    async def dead_lettered() -> bool:
        try:
            return (await js.stream_info(DEAD_LETTER_STREAM)).state.messages == 1
        except Exception:
            return False

    await eventually(dead_lettered)

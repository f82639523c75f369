"""Catalog events against contracts/events: what it publishes conforms; what it consumes it can read."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import nats
import pytest

from catalog.application.service import CatalogService
from catalog.bootstrap import Store, open_store
from catalog.domain.commands import (
    DeleteProduct,
    OrderLine,
    RegisterProduct,
    TakeStockForOrder,
    UpdateProduct,
)
from catalog.domain.product import Money, ProductChanges, ProductDetails
from catalog.entrypoints.consumers import order_handlers
from fitshop_common.events import Envelope, assert_conforms, decode_envelope
from fitshop_common.messaging import ensure_stream
from fitshop_common.mongo_outbox import MongoOutboxRelay
from fitshop_common.settings import MongoSettings, NatsSettings
from tests.unit.catalog.fakes import FakeProductRepository, TickingClock

ORDER = "7b1d2f4e-3c59-4a53-8d0e-5b1f4f0a9c11"


@pytest.fixture
async def store(mongo_url: str) -> AsyncIterator[Store]:
    async with open_store(MongoSettings(mongo_url=mongo_url)) as opened:
        yield opened


async def test_every_event_the_catalog_publishes_conforms_to_its_contract(store: Store, nats_url: str) -> None:
    # Every kind of change the catalog makes, through the real store, relay and stream.
    product = await store.service.register(RegisterProduct(
        "KETTLEBELL-16KG", ProductDetails("케틀벨 16kg", "주물 케틀벨", "weights", Money(54_000), 2)))
    await store.service.update(UpdateProduct(product.id, 1, ProductChanges(price=Money(49_000))))
    await store.service.take_stock_for_order(
        TakeStockForOrder(str(uuid.uuid4()), ORDER, (OrderLine(product.id, 5),)))  # oversold
    await store.service.delete(DeleteProduct(product.id))

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, "catalog", NatsSettings(nats_url=nats_url))
        await MongoOutboxRelay(store.products.revisions, js).publish_pending()
        info = await js.stream_info("CATALOG")
        messages = [await js.get_msg("CATALOG", seq)
                    for seq in range(info.state.first_seq, info.state.last_seq + 1)]
    finally:
        await nc.close()

    published = [decode_envelope(m.data or b"") for m in messages]
    assert [e.type for e in published] == [
        "product.registered", "product.updated", "product.updated", "product.deleted"]
    for message, event in zip(messages, published, strict=True):
        assert_conforms(event)
        assert message.subject == event.subject() == f"fitshop.catalog.{event.type}"
        assert (message.headers or {})["Nats-Msg-Id"] == event.id
        assert "traceparent" in (message.headers or {})
    assert published[2].data["stock"] == 0  # oversold never publishes a negative stock
    assert published[2].correlation_id == ORDER


def order_placed_example(product_id: str, *, optional_fields: bool) -> dict[str, Any]:
    """A schema-valid order.placed as the orders service publishes it."""
    data: dict[str, Any] = {
        "order_id": ORDER, "customer_id": "alice", "order_version": 2,
        "lines": [{"product_id": product_id, "name": "덤벨 10kg",
                   "unit_price": {"amount": 39_000, "currency": "KRW"}, "quantity": 2}],
        "total": {"amount": 78_000, "currency": "KRW"},
        "shipping_address": {"recipient": "김민지", "line1": "테헤란로 152", "city": "서울",
                             "postal_code": "06236", "phone": "010-2345-6789"},
        "payment": {"id": "pay_0123456789abcdef01234567", "status": "APPROVED",
                    "amount": {"amount": 78_000, "currency": "KRW"}},
        "placed_at": "2025-03-01T09:00:00Z",
    }
    if optional_fields:
        data.update(customer_email="alice@example.com", locale="ko")
    return msgspec.to_builtins(Envelope.new("order.placed", data, producer="orders", correlation_id=ORDER))


def order_cancelled_example(product_id: str, *, optional_fields: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "order_id": ORDER, "customer_id": "alice", "order_version": 3,
        "lines": [{"product_id": product_id, "name": "덤벨 10kg",
                   "unit_price": {"amount": 39_000, "currency": "KRW"}, "quantity": 2}],
        "total": {"amount": 78_000, "currency": "KRW"},
        "refund": {"id": "pay_0123456789abcdef01234567", "status": "REFUNDED",
                   "amount": {"amount": 78_000, "currency": "KRW"}},
        "cancelled_at": "2025-03-01T10:00:00Z",
    }
    if optional_fields:
        data.update(customer_email=None, locale="en", reason="고객 요청")
    return msgspec.to_builtins(Envelope.new("order.cancelled", data, producer="orders", correlation_id=ORDER))


@pytest.mark.parametrize("optional_fields", [False, True], ids=["required-only", "with-optional"])
async def test_every_event_type_the_catalog_consumes_is_read_from_a_schema_valid_example(
    optional_fields: bool,
) -> None:
    catalog = CatalogService(FakeProductRepository(), TickingClock())
    product = await catalog.register(RegisterProduct(
        "DUMBBELL-10KG", ProductDetails("덤벨 10kg", "", "weights", Money(39_000), 10)))
    handlers = order_handlers(catalog)
    examples = [order_placed_example(product.id, optional_fields=optional_fields),
                order_cancelled_example(product.id, optional_fields=optional_fields)]
    assert set(handlers) == {e["type"] for e in examples}  # an example for every consumed type

    stock_after = []
    for example in examples:
        assert_conforms(example)
        event = decode_envelope(json.dumps(example).encode())  # as the consumer receives it
        await handlers[event.type](event)
        stock_after.append((await catalog.get(product.id)).stock)
    assert stock_after == [8, 10]

"""Event contracts (contracts/events): what orders publishes conforms; what it consumes it understands."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fitshop_common.events import Envelope, assert_conforms, contract_errors
from fitshop_common.messaging import Poison
from orders.application.results import Placed
from orders.domain.commands import CancelOrder
from orders.domain.money import Money
from orders.domain.order import OrderStatus
from orders.domain.product import Product
from orders.entrypoints.consumers import catalog_handlers, delivery_handlers
from tests.integration.orders.scenario import delivery_event, product_event
from tests.unit.orders.fakes import DUMBBELL_ID, YOGA_MAT_ID, make_world
from tests.unit.orders.test_place_order import place


@pytest.mark.parametrize(("email", "locale"), [("alice@example.com", "ko"), (None, "en")])
async def test_order_placed_and_order_cancelled_conform_to_their_schemas(
        email: str | None, locale: str) -> None:
    world = make_world()
    command = replace(place((DUMBBELL_ID, 2), (YOGA_MAT_ID, 1)), customer_email=email,
                      locale=locale)
    placed = await world.service.place_order(command)
    assert isinstance(placed, Placed)
    await world.service.cancel_order(CancelOrder(placed.order.id, "alice", "wrong size"))
    await world.service.cancel_order(CancelOrder(placed.order.id, "alice"))  # no second event
    placed_event, cancelled_event = world.store.outbox
    for event in (placed_event, cancelled_event):
        assert_conforms(event)
        assert event.producer == "orders" and event.correlation_id == placed.order.id
        assert event.data["customer_email"] == email and event.data["locale"] == locale
    assert placed_event.data["order_version"] < cancelled_event.data["order_version"]
    assert cancelled_event.data["refund"]["id"] == placed_event.data["payment"]["id"]


def test_the_schema_catches_a_broken_order_event() -> None:
    broken = Envelope.new("order.placed", {"order_id": "not-a-uuid", "lines": []},
                          producer="orders", correlation_id="x")
    errors = contract_errors(broken)
    assert any("customer_id" in e for e in errors) and any("order_id" in e for e in errors)


DUMBBELL = Product(DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(33_000), 12, version=9)


@pytest.mark.parametrize("kind", ["product.registered", "product.updated", "product.deleted"])
async def test_catalog_events_as_published_are_understood(kind: str) -> None:
    world = make_world()
    event = product_event(kind, DUMBBELL)
    assert_conforms(event)  # the consumer's view of the contract matches the producer's
    await catalog_handlers(world.service)[kind](event)
    replica = world.store.products[DUMBBELL_ID]
    assert replica.version == 9
    assert replica.deleted is (kind == "product.deleted")
    if kind != "product.deleted":
        assert (replica.price, replica.stock, replica.name) == (Money(33_000), 12, "Dumbbell 10 kg")


@pytest.mark.parametrize(("kind", "status", "previous", "expected"), [
    ("delivery.requested", "REQUESTED", None, OrderStatus.PLACED),
    ("delivery.started", "STARTED", None, OrderStatus.PREPARING),
    ("delivery.status_changed", "IN_TRANSIT", "STARTED", OrderStatus.SHIPPING),
    ("delivery.status_changed", "DELIVERED", "IN_TRANSIT", OrderStatus.DELIVERED),
    ("delivery.cancelled", "CANCELLED", "STARTED", OrderStatus.PLACED),
])
async def test_delivery_events_as_published_are_understood(
        kind: str, status: str, previous: str | None, expected: OrderStatus) -> None:
    world = make_world()
    placed = await world.service.place_order(place((DUMBBELL_ID, 1)))
    assert isinstance(placed, Placed)
    event = delivery_event(kind, placed.order.id, status, 2, previous)
    assert_conforms(event)
    await delivery_handlers(world.service)[kind](event)
    assert world.store.orders[placed.order.id].status is expected


@pytest.mark.parametrize("data", [
    {"product_id": DUMBBELL_ID, "sku": "X", "name": "X", "price": {"amount": -1, "currency": "KRW"},
     "stock": 1, "version": 1},
    {"product_id": "nope", "sku": "X", "name": "X", "price": {"amount": 1, "currency": "KRW"},
     "stock": 1, "version": 1},
    {"product_id": DUMBBELL_ID, "version": 0},
])
async def test_a_catalog_event_breaking_the_contract_is_poison(data: dict[str, object]) -> None:
    world = make_world()
    event = Envelope.new("product.updated", data, producer="catalog", correlation_id=DUMBBELL_ID)
    assert contract_errors(event)
    with pytest.raises(Poison):
        await catalog_handlers(world.service)["product.updated"](event)


async def test_delivery_news_of_an_unknown_order_is_poison() -> None:
    world = make_world()
    event = delivery_event("delivery.started", "0b5e7a52-0000-4000-8000-00000000dead", "STARTED", 1)
    assert_conforms(event)
    with pytest.raises(Poison, match="unknown order"):
        await delivery_handlers(world.service)["delivery.started"](event)

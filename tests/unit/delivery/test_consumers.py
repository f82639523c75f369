"""Order event handlers: contract-breaking events are poison; valid ones become commands."""

from __future__ import annotations

import uuid

import pytest

from delivery.application.service import DeliveryService
from delivery.domain.values import DeliveryStatus, Locale
from delivery.entrypoints.consumers import order_event_handlers
from fitshop_common.events import Envelope, assert_conforms
from fitshop_common.messaging import Poison
from tests.contract.delivery.order_events import (
    order_cancelled,
    order_placed,
    poisoned_order_placed,
)
from tests.unit.delivery.fakes import FakeQueue, FakeUnitOfWork, Store


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def handlers(store: Store) -> dict[str, object]:
    return dict(order_event_handlers(DeliveryService(lambda: FakeUnitOfWork(store),
                                                     FakeQueue(store))))


async def test_order_placed_becomes_a_requested_delivery_with_the_orders_lines_and_address(
    handlers: dict[str, object], store: Store
) -> None:
    event = order_placed(locale="en")
    assert_conforms(event)  # consumer side of the contract
    await handlers["order.placed"](event)  # type: ignore[operator]
    [delivery] = store.deliveries.values()
    assert str(delivery.order_id) == event.data["order_id"]
    assert delivery.status is DeliveryStatus.REQUESTED
    assert [line.name for line in delivery.lines] == ["DUMBBELL-10KG", "YOGA-MAT-6MM"]
    assert delivery.shipping_address.city == "Seoul"
    assert (delivery.customer.email, delivery.customer.locale) == ("alice@example.com", Locale.EN)


async def test_order_placed_without_locale_or_email_defaults_to_korean_and_no_email(
    handlers: dict[str, object], store: Store
) -> None:
    event = order_placed()
    del event.data["locale"]
    event.data["customer_email"] = None
    assert_conforms(event)
    await handlers["order.placed"](event)  # type: ignore[operator]
    [delivery] = store.deliveries.values()
    assert (delivery.customer.email, delivery.customer.locale) == (None, Locale.KO)


async def test_order_cancelled_becomes_a_cancellation(
    handlers: dict[str, object], store: Store
) -> None:
    placed = order_placed()
    cancelled = order_cancelled(placed.data["order_id"])
    assert_conforms(cancelled)
    await handlers["order.placed"](placed)  # type: ignore[operator]
    await handlers["order.cancelled"](cancelled)  # type: ignore[operator]
    [delivery] = store.deliveries.values()
    assert delivery.status is DeliveryStatus.CANCELLED


async def test_an_order_placed_that_breaks_its_contract_is_poison_and_writes_nothing(
    handlers: dict[str, object], store: Store
) -> None:
    with pytest.raises(Poison, match="breaks its contract"):
        await handlers["order.placed"](poisoned_order_placed())  # type: ignore[operator]
    assert store.deliveries == {}
    assert store.inbox == set()


async def test_an_event_version_without_a_contract_is_poison(
    handlers: dict[str, object],
) -> None:
    event = order_placed()
    future = Envelope.new("order.placed", event.data, producer="orders",
                          correlation_id=str(uuid.uuid4()), version=9)
    with pytest.raises(Poison, match="no contract"):
        await handlers["order.placed"](future)  # type: ignore[operator]

"""Notification's side of the event contracts: every event it consumes, as its producers make them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from delivery.application.service import envelope_for
from delivery.domain.delivery import Delivery
from delivery.domain.values import Customer, DeliveryStatus, Line, Locale, Money, ShippingAddress
from fitshop_common.events import Envelope, assert_conforms
from notification.domain.notification import NotificationKind, kind_of
from notification.entrypoints.consumers import DELIVERY_EVENTS, ORDER_EVENTS, command_for
from tests.contract.delivery.order_events import order_cancelled, order_placed
from tests.contract.notification.delivery_events import delivery_event

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_samples_this_service_is_tested_with_conform_to_their_contracts() -> None:
    placed = order_placed()
    samples = [placed, order_cancelled(placed.data["order_id"]),
               delivery_event("delivery.started", "STARTED"),
               delivery_event("delivery.status_changed", "IN_TRANSIT"),
               delivery_event("delivery.status_changed", "DELIVERED"),
               delivery_event("delivery.cancelled", "CANCELLED")]
    for sample in samples:
        assert_conforms(sample)
    assert {s.type for s in samples} == set(ORDER_EVENTS + DELIVERY_EVENTS)


def delivery_service_events() -> list[Envelope]:
    """What the delivery service really publishes (its own producer code), start to finish."""
    d = Delivery.request(
        delivery_id=uuid.uuid4(), order_id=uuid.uuid4(),
        customer=Customer("alice", None, Locale.EN),
        lines=(Line(uuid.uuid4(), "DUMBBELL-10KG", Money(35000), 1),),
        shipping_address=ShippingAddress("Alice Kim", "12 Teheran-ro", "Seoul", "06236",
                                         "010-1234-5678"),
        at=AT)
    d.start(AT)
    d.advance(DeliveryStatus.IN_TRANSIT, AT)
    cancelled = Delivery.request(
        delivery_id=uuid.uuid4(), order_id=uuid.uuid4(), customer=Customer("bob"),
        lines=d.lines, shipping_address=d.shipping_address, at=AT)
    cancelled.cancel("changed my mind", AT)
    return [envelope_for(e) for e in [*d.events, *cancelled.events]]  # type: ignore[arg-type]


@pytest.mark.parametrize("event", delivery_service_events(), ids=lambda e: e.type)
def test_notification_reads_every_event_the_delivery_service_publishes(event: Envelope) -> None:
    assert_conforms(event)
    if event.type not in DELIVERY_EVENTS:
        assert event.type == "delivery.requested"  # the one it deliberately skips
        return
    cmd = command_for(event)
    assert kind_of(cmd) is NotificationKind.DELIVERY_UPDATE
    assert str(cmd.order_id) == event.data["order_id"]
    assert cmd.recipient.customer_id == event.data["customer_id"]

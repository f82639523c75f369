"""Delivery's side of the event contracts: what it consumes and every event it can produce."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from delivery.application.service import envelope_for
from delivery.domain.delivery import Delivery
from delivery.domain.values import (
    Customer,
    DeliveryStatus,
    Line,
    Locale,
    Money,
    ShippingAddress,
)
from fitshop_common.events import assert_conforms, contract_errors
from tests.contract.delivery.order_events import (
    order_cancelled,
    order_placed,
    poisoned_order_placed,
)

AT = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)


def test_the_order_events_delivery_consumes_conform_to_the_orders_contract() -> None:
    placed = order_placed()
    assert_conforms(placed)
    assert_conforms(order_cancelled(placed.data["order_id"]))
    assert contract_errors(poisoned_order_placed())  # the poison sample really is poison


def every_event(email: str | None, locale: Locale) -> list[object]:
    def fresh() -> Delivery:
        return Delivery.request(
            delivery_id=uuid.uuid4(), order_id=uuid.uuid4(),
            customer=Customer("alice", email, locale),
            lines=(Line(uuid.uuid4(), "DUMBBELL-10KG", Money(35000), 1),),
            shipping_address=ShippingAddress("Alice Kim", "12 Teheran-ro", "Seoul", "06236",
                                             "010-1234-5678"),
            at=AT)

    shipped = fresh()
    shipped.start(AT)
    shipped.advance(DeliveryStatus.IN_TRANSIT, AT)
    shipped.advance(DeliveryStatus.DELIVERED, AT)
    cancelled = fresh()
    cancelled.start(AT)
    cancelled.cancel("changed my mind", AT)
    return [*shipped.events, *cancelled.events[1:]]


@pytest.mark.parametrize(("email", "locale"), [("alice@example.com", Locale.KO),
                                               (None, Locale.EN)])
def test_every_event_delivery_produces_conforms_to_its_contract(
    email: str | None, locale: Locale
) -> None:
    envelopes = [envelope_for(e, causation_id=str(uuid.uuid4()))  # type: ignore[arg-type]
                 for e in every_event(email, locale)]
    assert [e.type for e in envelopes] == [
        "delivery.requested", "delivery.started", "delivery.status_changed",
        "delivery.status_changed", "delivery.started", "delivery.cancelled"]
    for envelope in envelopes:
        assert_conforms(envelope)
        assert envelope.producer == "delivery"
        assert envelope.correlation_id == envelope.data["order_id"]
        assert (envelope.data["customer_email"], envelope.data["locale"]) == (email, str(locale))

"""The Delivery aggregate: one step at a time, cancel unless delivered, events for every change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from delivery.domain.delivery import Changed, Delivery, Refused, Unchanged
from delivery.domain.events import (
    CancellationRefused,
    DeliveryCancelled,
    DeliveryRequested,
    DeliveryStarted,
    DeliveryStatusChanged,
)
from delivery.domain.values import (
    Customer,
    DeliveryStatus,
    Line,
    Locale,
    Money,
    ShippingAddress,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = DeliveryStatus


def a_delivery() -> Delivery:
    return Delivery.request(
        delivery_id=uuid.uuid4(), order_id=uuid.uuid4(),
        customer=Customer("alice", "alice@example.com", Locale.EN),
        lines=(Line(uuid.uuid4(), "DUMBBELL-10KG", Money(35000), 2),),
        shipping_address=ShippingAddress("Alice Kim", "12 Teheran-ro", "Seoul", "06236",
                                         "010-1234-5678"),
        at=T0,
    )


def delivery_in(status: DeliveryStatus) -> Delivery:
    d = a_delivery()
    path = {S.REQUESTED: [], S.STARTED: [S.STARTED], S.IN_TRANSIT: [S.STARTED, S.IN_TRANSIT],
            S.DELIVERED: [S.STARTED, S.IN_TRANSIT, S.DELIVERED]}
    if status is S.CANCELLED:
        d.cancel("changed my mind", T0)
    for step in path.get(status, []):
        if step is S.STARTED:
            d.start(T0)
        else:
            d.advance(step, T0)
    d.events.clear()
    return d


def test_a_requested_delivery_is_version_1_and_records_delivery_requested() -> None:
    d = a_delivery()
    assert (d.status, d.version) == (S.REQUESTED, 1)
    [event] = d.events
    assert isinstance(event, DeliveryRequested)
    assert (event.version, event.customer.locale) == (1, Locale.EN)


def test_the_seller_moves_a_delivery_through_every_status_in_order() -> None:
    d = a_delivery()
    later = T0 + timedelta(hours=1)
    assert d.start(later) == Changed(S.REQUESTED)
    assert d.advance(S.IN_TRANSIT, later) == Changed(S.STARTED)
    assert d.advance(S.DELIVERED, later) == Changed(S.IN_TRANSIT)
    assert (d.status, d.version, d.updated_at) == (S.DELIVERED, 4, later)
    kinds = [type(e) for e in d.events]
    assert kinds == [DeliveryRequested, DeliveryStarted, DeliveryStatusChanged,
                     DeliveryStatusChanged]
    assert [e.version for e in d.events] == [1, 2, 3, 4]
    changed = d.events[-1]
    assert isinstance(changed, DeliveryStatusChanged)
    assert changed.previous_status is S.IN_TRANSIT


@pytest.mark.parametrize("status", [S.STARTED, S.IN_TRANSIT, S.DELIVERED, S.CANCELLED])
def test_only_a_requested_delivery_can_be_started(status: DeliveryStatus) -> None:
    d = delivery_in(status)
    outcome = d.start(T0)
    assert isinstance(outcome, Refused)
    assert "REQUESTED" in outcome.reason
    assert (d.status, d.events) == (status, [])


@pytest.mark.parametrize(("status", "to", "why"), [
    (S.REQUESTED, S.IN_TRANSIT, "must be STARTED"),
    (S.REQUESTED, S.DELIVERED, "must be IN_TRANSIT"),
    (S.STARTED, S.DELIVERED, "must be IN_TRANSIT"),
    (S.IN_TRANSIT, S.IN_TRANSIT, "already IN_TRANSIT"),
    (S.DELIVERED, S.IN_TRANSIT, "no longer change"),
    (S.CANCELLED, S.IN_TRANSIT, "no longer change"),
    (S.STARTED, S.STARTED, "only be set to IN_TRANSIT or DELIVERED"),
    (S.STARTED, S.CANCELLED, "only be set to IN_TRANSIT or DELIVERED"),
])
def test_skipping_going_back_or_repeating_a_status_is_refused_with_the_reason(
    status: DeliveryStatus, to: DeliveryStatus, why: str
) -> None:
    d = delivery_in(status)
    version = d.version
    outcome = d.advance(to, T0)
    assert isinstance(outcome, Refused)
    assert why in outcome.reason
    assert (d.status, d.version, d.events) == (status, version, [])


@pytest.mark.parametrize("status", [S.REQUESTED, S.STARTED, S.IN_TRANSIT])
def test_cancelling_before_delivery_cancels_and_records_the_previous_status(
    status: DeliveryStatus,
) -> None:
    d = delivery_in(status)
    version = d.version
    assert d.cancel("changed my mind", T0) == Changed(status)
    assert (d.status, d.version) == (S.CANCELLED, version + 1)
    [event] = d.events
    assert isinstance(event, DeliveryCancelled)
    assert (event.previous_status, event.reason) == (status, "changed my mind")


def test_cancelling_a_delivered_order_is_refused_and_the_reason_is_kept_for_the_seller() -> None:
    d = delivery_in(S.DELIVERED)
    outcome = d.cancel("changed my mind", T0 + timedelta(days=1))
    assert isinstance(outcome, Refused)
    assert (d.status, d.version) == (S.DELIVERED, 4)
    assert d.cancellation_refused_reason is not None
    assert "after its parcel had been delivered" in d.cancellation_refused_reason
    [event] = d.events
    assert isinstance(event, CancellationRefused)


def test_cancelling_twice_changes_nothing_the_second_time() -> None:
    d = delivery_in(S.CANCELLED)
    assert isinstance(d.cancel("again", T0), Unchanged)
    assert (d.version, d.events) == (2, [])

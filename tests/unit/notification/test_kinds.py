"""Which event becomes which notification kind; one notification id per (event, customer, kind)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from fitshop_common.events import Envelope
from fitshop_common.messaging import Poison
from notification.domain.commands import Locale
from notification.domain.notification import (
    Notification,
    NotificationKind,
    kind_of,
    notification_id,
)
from notification.entrypoints.consumers import DELIVERY_EVENTS, ORDER_EVENTS, command_for
from tests.contract.delivery.order_events import order_cancelled, order_placed
from tests.contract.notification.delivery_events import delivery_event


@pytest.mark.parametrize(("event", "kind"), [
    (lambda: order_placed(), NotificationKind.PURCHASE_RECEIPT),
    (lambda: order_cancelled(str(uuid.uuid4())), NotificationKind.CANCELLATION),
    (lambda: delivery_event("delivery.started", "STARTED"), NotificationKind.DELIVERY_UPDATE),
    (lambda: delivery_event("delivery.status_changed", "IN_TRANSIT"),
     NotificationKind.DELIVERY_UPDATE),
    (lambda: delivery_event("delivery.status_changed", "DELIVERED"),
     NotificationKind.DELIVERY_UPDATE),
    (lambda: delivery_event("delivery.cancelled", "CANCELLED"), NotificationKind.DELIVERY_UPDATE),
])
def test_each_consumed_event_maps_to_its_notification_kind(
    event: object, kind: NotificationKind
) -> None:
    envelope: Envelope = event()  # type: ignore[operator]
    assert kind_of(command_for(envelope)) is kind


def test_delivery_requested_is_not_notified() -> None:
    assert "delivery.requested" not in DELIVERY_EVENTS + ORDER_EVENTS
    with pytest.raises(Poison, match="not an event this service notifies"):
        command_for(delivery_event("delivery.requested", "REQUESTED"))


def test_the_locale_and_address_of_the_event_reach_the_notification() -> None:
    cmd = command_for(order_placed(locale="en", email=None))
    assert (cmd.recipient.locale, cmd.recipient.email) == (Locale.EN, None)
    event = order_placed()
    del event.data["locale"]
    assert command_for(event).recipient.locale is Locale.KO  # Korean by default


def test_one_notification_id_per_event_customer_and_kind() -> None:
    event_id = str(uuid.uuid4())
    same = notification_id(event_id, "alice", NotificationKind.PURCHASE_RECEIPT)
    assert same == notification_id(event_id, "alice", NotificationKind.PURCHASE_RECEIPT)
    others = {notification_id(str(uuid.uuid4()), "alice", NotificationKind.PURCHASE_RECEIPT),
              notification_id(event_id, "bob", NotificationKind.PURCHASE_RECEIPT),
              notification_id(event_id, "alice", NotificationKind.CANCELLATION)}
    assert same not in others and len(others) == 3


def test_composing_twice_from_the_same_event_gives_the_same_notification() -> None:
    event = order_placed()
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    first = Notification.compose(command_for(event), event_id=event.id, at=at)
    again = Notification.compose(command_for(event), event_id=event.id, at=at)
    assert first == again
    assert (first.kind, first.customer_id, str(first.order_id)) == (
        NotificationKind.PURCHASE_RECEIPT, "alice", event.data["order_id"])

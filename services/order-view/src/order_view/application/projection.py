"""The projection use case: turn Order* and Delivery* events into view parts and apply them."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import msgspec

from fitshop_common.events import Envelope
from fitshop_common.messaging import Poison
from order_view.application.ports import ViewStore
from order_view.domain.view import (
    DeliveryPart,
    DeliveryStatus,
    Line,
    Money,
    OrderPart,
    PaymentStatus,
    payment_after_cancel,
)

ORDER_EVENTS = ("order.placed", "order.cancelled")
DELIVERY_EVENTS = (
    "delivery.requested",
    "delivery.started",
    "delivery.status_changed",
    "delivery.cancelled",
)


# The fields we read from each event's `data` (contracts/events/*.v1.schema.json); others are ignored.
class PaymentFields(msgspec.Struct):
    status: str


class OrderPlacedFields(msgspec.Struct):
    order_id: str
    customer_id: str
    order_version: int
    lines: tuple[Line, ...]
    total: Money
    payment: PaymentFields
    placed_at: str


class OrderCancelledFields(msgspec.Struct):
    order_id: str
    customer_id: str
    order_version: int
    lines: tuple[Line, ...]
    total: Money
    refund: PaymentFields
    cancelled_at: str


class DeliveryChangedFields(msgspec.Struct):
    delivery_id: str
    order_id: str
    customer_id: str
    status: DeliveryStatus
    version: int
    changed_at: str


T = TypeVar("T")


FIELDS_READ: dict[str, type[msgspec.Struct]] = {
    "order.placed": OrderPlacedFields,
    "order.cancelled": OrderCancelledFields,
    **dict.fromkeys(DELIVERY_EVENTS, DeliveryChangedFields),
}
"""The part of each event's `data` order-view depends on (checked against the contracts)."""


def _read(data: dict[str, Any], shape: type[T], event: Envelope) -> T:
    try:
        return msgspec.convert(data, shape)
    except msgspec.ValidationError as exc:
        # Retrying cannot fix a malformed event: dead-letter it and keep the stream flowing.
        raise Poison(f"{event.type} {event.id} breaks its contract: {exc}") from exc


def order_part(event: Envelope) -> OrderPart:
    """The order part an order.* event describes."""
    if event.type == "order.placed":
        placed = _read(event.data, OrderPlacedFields, event)
        return OrderPart(
            order_id=placed.order_id,
            customer_id=placed.customer_id,
            version=placed.order_version,
            cancelled=False,
            payment_status=_payment_status(placed.payment.status, event),
            total=placed.total,
            lines=placed.lines,
            changed_at=placed.placed_at,
            placed_at=placed.placed_at,
        )
    cancelled = _read(event.data, OrderCancelledFields, event)
    return OrderPart(
        order_id=cancelled.order_id,
        customer_id=cancelled.customer_id,
        version=cancelled.order_version,
        cancelled=True,
        payment_status=payment_after_cancel(cancelled.refund.status),
        total=cancelled.total,
        lines=cancelled.lines,
        changed_at=cancelled.cancelled_at,
    )


def delivery_part(event: Envelope) -> DeliveryPart:
    """The delivery part a delivery.* event describes."""
    changed = _read(event.data, DeliveryChangedFields, event)
    return DeliveryPart(
        delivery_id=changed.delivery_id,
        order_id=changed.order_id,
        customer_id=changed.customer_id,
        status=changed.status,
        version=changed.version,
        changed_at=changed.changed_at,
    )


def _payment_status(value: str, event: Envelope) -> PaymentStatus:
    try:
        return PaymentStatus(value)
    except ValueError as exc:
        raise Poison(f"{event.type} {event.id} has an unknown payment status {value!r}") from exc


Applied = Literal["applied", "unchanged"]


class Projection:
    """Applies each event to the view at most once, never moving a part back to an older version."""

    def __init__(self, store: ViewStore) -> None:
        self._store = store

    async def apply(self, event: Envelope) -> Applied:
        if event.type in ORDER_EVENTS:
            changed = await self._store.apply_order(event.id, order_part(event))
        elif event.type in DELIVERY_EVENTS:
            changed = await self._store.apply_delivery(event.id, delivery_part(event))
        else:
            raise Poison(f"order-view does not project {event.type}")
        return "applied" if changed else "unchanged"

    async def handle(self, event: Envelope) -> None:
        """A consumer handler (fitshop_common.messaging.Handler)."""
        await self.apply(event)

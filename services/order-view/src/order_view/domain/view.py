"""OrderStatusView: one order's order, payment and delivery status, merged from two event streams."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

# msgspec is a data-modelling library with no I/O; its frozen structs are our value objects.
import msgspec


class ViewStatus(StrEnum):
    """What the customer sees (DESIGN §3, order status without the payment-pending states)."""

    PLACED = "PLACED"
    PREPARING = "PREPARING"
    SHIPPING = "SHIPPING"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class PaymentStatus(StrEnum):
    APPROVED = "APPROVED"
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"


class DeliveryStatus(StrEnum):
    REQUESTED = "REQUESTED"
    STARTED = "STARTED"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


_STATUS_OF_DELIVERY = {
    DeliveryStatus.REQUESTED: ViewStatus.PLACED,
    DeliveryStatus.STARTED: ViewStatus.PREPARING,
    DeliveryStatus.IN_TRANSIT: ViewStatus.SHIPPING,
    DeliveryStatus.DELIVERED: ViewStatus.DELIVERED,
    DeliveryStatus.CANCELLED: ViewStatus.CANCELLED,
}


class Money(msgspec.Struct, frozen=True, kw_only=True):
    amount: int
    currency: str


class Line(msgspec.Struct, frozen=True, kw_only=True):
    product_id: str
    name: str
    unit_price: Money
    quantity: int


class OrderPart(msgspec.Struct, frozen=True, kw_only=True):
    """What the orders context last told us about the order (the event with the highest `version`)."""

    order_id: str
    customer_id: str
    version: int
    cancelled: bool
    payment_status: PaymentStatus
    total: Money
    lines: tuple[Line, ...]
    changed_at: str
    placed_at: str | None = None
    """Known from order.placed only; an order.cancelled that overtook it leaves it unknown."""


class DeliveryPart(msgspec.Struct, frozen=True, kw_only=True):
    """What the delivery context last told us about the order's delivery (highest `version`)."""

    delivery_id: str
    order_id: str
    customer_id: str
    status: DeliveryStatus
    version: int
    changed_at: str


class OrderStatusView(msgspec.Struct, frozen=True, kw_only=True):
    """One order as the customer sees it (API.md "My orders")."""

    order_id: str
    status: ViewStatus
    payment_status: PaymentStatus
    delivery_status: DeliveryStatus | None
    total: Money
    lines: tuple[Line, ...]
    updated_at: str


def supersedes(incoming: int, stored: int | None) -> bool:
    """A part is replaced only by a strictly newer version: duplicates and stale events change nothing.

    The Redis adapter enforces the same rule inside its apply script, atomically.
    """
    return stored is None or incoming > stored


def payment_after_cancel(refund_status: str) -> PaymentStatus:
    """A cancelled order's payment, as the customer reads it: the provider captures at once, so
    whatever word it uses for undoing a captured payment (`CANCELLED`, `REFUNDED`) is a refund."""
    del refund_status
    return PaymentStatus.REFUNDED


def view_status(order: OrderPart, delivery: DeliveryPart | None) -> ViewStatus:
    """Cancelled wins; otherwise the seller's side decides once it has the order; PLACED before that."""
    if order.cancelled:
        return ViewStatus.CANCELLED
    if delivery is None:
        return ViewStatus.PLACED
    return _STATUS_OF_DELIVERY[delivery.status]


def compose(order: OrderPart | None, delivery: DeliveryPart | None) -> OrderStatusView | None:
    """The view, or None while only the delivery side is known (it waits for its order.placed)."""
    if order is None:
        return None
    updated_at = order.changed_at
    if delivery is not None and _instant(delivery.changed_at) > _instant(order.changed_at):
        updated_at = delivery.changed_at
    return OrderStatusView(
        order_id=order.order_id,
        status=view_status(order, delivery),
        payment_status=order.payment_status,
        delivery_status=delivery.status if delivery is not None else None,
        total=order.total,
        lines=order.lines,
        updated_at=updated_at,
    )


def _instant(rfc3339: str) -> datetime:
    # Compared as instants: strings with and without fractional seconds do not sort as text.
    return datetime.fromisoformat(rfc3339)

"""Schema-valid events order-view consumes, built the way their producers build them (test data)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fitshop_common.events import Envelope

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
DUMBBELL = str(uuid.UUID(int=0xD0B))
YOGA_MAT = str(uuid.UUID(int=0x10CA))

DeliveryKind = Literal["requested", "started", "in_transit", "delivered", "cancelled"]
_DELIVERY = {
    "requested": ("delivery.requested", "REQUESTED"),
    "started": ("delivery.started", "STARTED"),
    "in_transit": ("delivery.status_changed", "IN_TRANSIT"),
    "delivered": ("delivery.status_changed", "DELIVERED"),
    "cancelled": ("delivery.cancelled", "CANCELLED"),
}
_PREVIOUS = {"in_transit": "STARTED", "delivered": "IN_TRANSIT"}


def at(seconds: float) -> str:
    """RFC 3339 UTC, `seconds` after a fixed start, as producers write it."""
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")



def _lines() -> list[dict[str, Any]]:
    return [
        {"product_id": DUMBBELL, "name": "DUMBBELL-10KG", "unit_price": {"amount": 25000, "currency": "KRW"},
         "quantity": 2},
        {"product_id": YOGA_MAT, "name": "YOGA-MAT-6MM", "unit_price": {"amount": 18000, "currency": "KRW"},
         "quantity": 1},
    ]


TOTAL = {"amount": 68000, "currency": "KRW"}


def order_placed(order_id: str, customer_id: str = "alice", *, version: int = 1,
                 placed_at: str | None = None, **optional: Any) -> Envelope:
    data = {
        "order_id": order_id, "customer_id": customer_id, "order_version": version,
        "lines": _lines(), "total": TOTAL,
        "shipping_address": {"recipient": "Kim Alice", "line1": "1 Gym-ro", "city": "Seoul",
                             "postal_code": "04524", "phone": "010-0000-0000"},
        "payment": {"id": f"pay-{order_id[:8]}", "status": "APPROVED", "amount": TOTAL},
        "placed_at": placed_at or at(0), **optional,
    }
    return Envelope.new("order.placed", data, producer="orders", correlation_id=order_id)


def order_cancelled(order_id: str, customer_id: str = "alice", *, version: int = 2,
                    cancelled_at: str | None = None, **optional: Any) -> Envelope:
    data = {
        "order_id": order_id, "customer_id": customer_id, "order_version": version,
        "lines": _lines(), "total": TOTAL,
        "refund": {"id": f"refund-{order_id[:8]}", "status": "REFUNDED", "amount": TOTAL},
        "cancelled_at": cancelled_at or at(60), **optional,
    }
    return Envelope.new("order.cancelled", data, producer="orders", correlation_id=order_id)


def delivery(kind: DeliveryKind, order_id: str, customer_id: str = "alice", *, version: int,
             delivery_id: str | None = None, changed_at: str | None = None,
             **optional: Any) -> Envelope:
    event_type, status = _DELIVERY[kind]
    data: dict[str, Any] = {
        "delivery_id": delivery_id or str(uuid.uuid5(uuid.NAMESPACE_URL, order_id)),
        "order_id": order_id, "customer_id": customer_id, "status": status, "version": version,
        "changed_at": changed_at or at(10 * version), **optional,
    }
    if kind in _PREVIOUS:
        data.setdefault("previous_status", _PREVIOUS[kind])
    return Envelope.new(event_type, data, producer="delivery", correlation_id=order_id)


def delivered_story(order_id: str, customer_id: str = "alice") -> list[Envelope]:
    """placed → REQUESTED → STARTED → IN_TRANSIT → DELIVERED, in the order they happen."""
    return [
        order_placed(order_id, customer_id),
        delivery("requested", order_id, customer_id, version=1),
        delivery("started", order_id, customer_id, version=2),
        delivery("in_transit", order_id, customer_id, version=3),
        delivery("delivered", order_id, customer_id, version=4),
    ]


def cancelled_story(order_id: str, customer_id: str = "alice") -> list[Envelope]:
    """placed → REQUESTED → cancelled (refunded) → delivery CANCELLED."""
    return [
        order_placed(order_id, customer_id),
        delivery("requested", order_id, customer_id, version=1),
        order_cancelled(order_id, customer_id, version=2),
        delivery("cancelled", order_id, customer_id, version=2, previous_status="REQUESTED"),
    ]

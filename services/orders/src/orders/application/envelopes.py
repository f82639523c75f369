"""Turns domain events into the published envelopes of contracts/events (order.placed, order.cancelled)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fitshop_common.events import Envelope
from orders.domain.events import DomainEvent, OrderCancelled, OrderPlaced
from orders.domain.money import Money
from orders.domain.order import OrderSnapshot, Payment

PRODUCER = "orders"


def rfc3339(at: datetime) -> str:
    """UTC with a `Z`, as every contract's timestamps are written."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def money(value: Money) -> dict[str, Any]:
    return {"amount": value.amount, "currency": value.currency}


def _payment(payment: Payment) -> dict[str, Any]:
    return {"id": payment.id, "status": payment.status.value, "amount": money(payment.amount)}


def _order(snapshot: OrderSnapshot) -> dict[str, Any]:
    address = snapshot.shipping_address
    return {
        "order_id": snapshot.order_id,
        "customer_id": snapshot.customer_id,
        "customer_email": snapshot.customer_email,
        "locale": snapshot.locale,
        "order_version": snapshot.order_version,
        "lines": [
            {"product_id": line.product_id, "name": line.name,
             "unit_price": money(line.unit_price), "quantity": line.quantity}
            for line in snapshot.lines
        ],
        "total": money(snapshot.total),
        "shipping_address": {"recipient": address.recipient, "line1": address.line1,
                             "city": address.city, "postal_code": address.postal_code,
                             "phone": address.phone},
    }


def to_envelope(event: DomainEvent) -> Envelope:
    match event:
        case OrderPlaced():
            data = {**_order(event.order), "payment": _payment(event.payment),
                    "placed_at": rfc3339(event.placed_at)}
            return Envelope.new("order.placed", data, producer=PRODUCER,
                                correlation_id=event.order.order_id,
                                occurred_at=event.placed_at)
        case OrderCancelled():
            data = {**_order(event.order), "refund": _payment(event.refund),
                    "cancelled_at": rfc3339(event.cancelled_at)}
            if event.reason:
                data["reason"] = event.reason
            return Envelope.new("order.cancelled", data, producer=PRODUCER,
                                correlation_id=event.order.order_id,
                                occurred_at=event.cancelled_at)

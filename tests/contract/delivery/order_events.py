"""Schema-valid OrderPlaced / OrderCancelled envelopes as the orders service publishes them."""

from __future__ import annotations

import uuid
from typing import Any

from fitshop_common.events import Envelope

DUMBBELL = "0b9d6c3e-6f1a-4c51-9a39-6a4f1f0c1a01"
YOGA_MAT = "0b9d6c3e-6f1a-4c51-9a39-6a4f1f0c1a02"


def placed_data(order_id: str, *, customer_id: str = "alice", email: str | None = "alice@example.com",
                locale: str = "ko") -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "customer_email": email,
        "locale": locale,
        "order_version": 1,
        "lines": [
            {"product_id": DUMBBELL, "name": "DUMBBELL-10KG",
             "unit_price": {"amount": 35000, "currency": "KRW"}, "quantity": 2},
            {"product_id": YOGA_MAT, "name": "YOGA-MAT-6MM",
             "unit_price": {"amount": 29000, "currency": "KRW"}, "quantity": 1},
        ],
        "total": {"amount": 99000, "currency": "KRW"},
        "shipping_address": {"recipient": "Alice Kim", "line1": "12 Teheran-ro",
                             "city": "Seoul", "postal_code": "06236", "phone": "010-1234-5678"},
        "payment": {"id": "pay-1", "status": "APPROVED",
                    "amount": {"amount": 99000, "currency": "KRW"}},
        "placed_at": "2026-03-02T09:00:00Z",
    }


def order_placed(order_id: str | None = None, **kw: Any) -> Envelope:
    order_id = order_id or str(uuid.uuid4())
    return Envelope.new("order.placed", placed_data(order_id, **kw), producer="orders",
                        correlation_id=order_id)


def order_cancelled(order_id: str, *, customer_id: str = "alice",
                    email: str | None = "alice@example.com", locale: str = "ko") -> Envelope:
    placed = placed_data(order_id, customer_id=customer_id, email=email, locale=locale)
    data = {
        "order_id": order_id,
        "customer_id": customer_id,
        "customer_email": email,
        "locale": locale,
        "order_version": 2,
        "lines": placed["lines"],
        "total": placed["total"],
        "refund": {"id": "refund-1", "status": "REFUNDED",
                   "amount": {"amount": 99000, "currency": "KRW"}},
        "reason": "changed my mind",
        "cancelled_at": "2026-03-02T10:00:00Z",
    }
    return Envelope.new("order.cancelled", data, producer="orders", correlation_id=order_id)


def poisoned_order_placed(order_id: str | None = None) -> Envelope:
    """Breaks the contract: no lines, a negative total."""
    order_id = order_id or str(uuid.uuid4())
    data = placed_data(order_id)
    data["lines"] = []
    data["total"] = {"amount": -1, "currency": "KRW"}
    return Envelope.new("order.placed", data, producer="orders", correlation_id=order_id)

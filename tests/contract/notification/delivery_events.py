"""Schema-valid Delivery* envelopes as the delivery service publishes them."""

from __future__ import annotations

import uuid
from typing import Any

from fitshop_common.events import Envelope

_PREVIOUS = {"STARTED": "REQUESTED", "IN_TRANSIT": "STARTED", "DELIVERED": "IN_TRANSIT",
             "CANCELLED": "STARTED"}


def delivery_event(kind: str, status: str, *, order_id: str | None = None,
                   customer_id: str = "alice", email: str | None = "alice@example.com",
                   locale: str = "ko", version: int = 2) -> Envelope:
    order_id = order_id or str(uuid.uuid4())
    data: dict[str, Any] = {
        "delivery_id": str(uuid.uuid4()),
        "order_id": order_id,
        "customer_id": customer_id,
        "customer_email": email,
        "locale": locale,
        "status": status,
        "version": version,
        "changed_at": "2026-03-02T11:00:00Z",
    }
    if status in _PREVIOUS:
        data["previous_status"] = _PREVIOUS[status]
    return Envelope.new(kind, data, producer="delivery", correlation_id=order_id)

"""Domain events: what happened to an order, in the past tense, as small frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the aggregate imports us; we only need its value types for annotations
    from orders.domain.order import OrderSnapshot, Payment


@dataclass(frozen=True, slots=True)
class OrderPlaced:
    """The payment was approved and the order exists."""

    order: OrderSnapshot
    payment: Payment
    placed_at: datetime


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    """The customer cancelled; the payment was refunded."""

    order: OrderSnapshot
    refund: Payment
    reason: str | None
    cancelled_at: datetime


DomainEvent = OrderPlaced | OrderCancelled

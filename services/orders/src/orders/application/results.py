"""What a use case answers: business outcomes are values, not exceptions."""

from __future__ import annotations

from dataclasses import dataclass

from orders.domain.order import CancelDecision, Order
from orders.domain.product import Availability


@dataclass(frozen=True, slots=True)
class Placed:
    """The order is paid and exists (also the replay of an earlier request with the same key)."""

    order: Order


@dataclass(frozen=True, slots=True)
class PaymentDeclined:
    order: Order


@dataclass(frozen=True, slots=True)
class PaymentUnavailable:
    """Payment is busy or failing. Nothing was charged unless `outcome_unknown`, which the
    reconciler settles; the order id lets the customer look it up later."""

    order: Order
    retry_after: int
    outcome_unknown: bool


@dataclass(frozen=True, slots=True)
class LineProblem:
    index: int
    product_id: str
    availability: Availability
    reason: str


@dataclass(frozen=True, slots=True)
class LinesUnavailable:
    problems: tuple[LineProblem, ...]


@dataclass(frozen=True, slots=True)
class IdempotencyKeyReused:
    """The key was used before with another request body."""

    key: str


PlaceOrderResult = Placed | PaymentDeclined | PaymentUnavailable | LinesUnavailable | IdempotencyKeyReused


@dataclass(frozen=True, slots=True)
class Cancelled:
    order: Order


@dataclass(frozen=True, slots=True)
class CancelRefused:
    order: Order
    decision: CancelDecision
    reason: str


@dataclass(frozen=True, slots=True)
class OrderNotFound:
    order_id: str


@dataclass(frozen=True, slots=True)
class RefundUnavailable:
    order: Order
    retry_after: int
    reason: str


CancelOrderResult = Cancelled | CancelRefused | OrderNotFound | RefundUnavailable


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """What one reconciliation pass did (for logs, metrics and tests)."""

    placed: int = 0
    failed: int = 0
    refunded: int = 0
    left_open: int = 0

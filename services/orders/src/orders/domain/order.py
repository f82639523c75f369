"""The Order aggregate: its lines, total, payment record and the state machine of DESIGN §3."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from orders.domain.events import DomainEvent, OrderCancelled, OrderPlaced
from orders.domain.money import Money


class OrderStatus(StrEnum):
    PAYMENT_PENDING = "PAYMENT_PENDING"
    PLACED = "PLACED"
    PREPARING = "PREPARING"
    SHIPPING = "SHIPPING"
    DELIVERED = "DELIVERED"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    PAYMENT_UNAVAILABLE = "PAYMENT_UNAVAILABLE"
    CANCELLED = "CANCELLED"


class PaymentStatus(StrEnum):
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"  # the provider's word for a refunded payment


class DeliveryStatus(StrEnum):
    REQUESTED = "REQUESTED"
    STARTED = "STARTED"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


# How far along fulfilment an order is; delivery news never moves an order down this scale.
_PROGRESS = {OrderStatus.PLACED: 0, OrderStatus.PREPARING: 1, OrderStatus.SHIPPING: 2,
             OrderStatus.DELIVERED: 3}
_FOLLOWS = {DeliveryStatus.REQUESTED: OrderStatus.PLACED,
            DeliveryStatus.STARTED: OrderStatus.PREPARING,
            DeliveryStatus.IN_TRANSIT: OrderStatus.SHIPPING,
            DeliveryStatus.DELIVERED: OrderStatus.DELIVERED}


class InvalidTransition(Exception):
    """A programming error: the application asked for a move the state machine forbids."""


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: str
    name: str
    unit_price: Money
    quantity: int

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValueError("a line orders at least one item")

    @property
    def subtotal(self) -> Money:
        return self.unit_price.times(self.quantity)


@dataclass(frozen=True, slots=True)
class ShippingAddress:
    recipient: str
    line1: str
    city: str
    postal_code: str
    phone: str


@dataclass(frozen=True, slots=True)
class Payment:
    """The payment record: what the provider said about this order's money."""

    id: str
    status: PaymentStatus
    amount: Money
    card_last4: str | None = None
    decline_code: str | None = None
    message: str | None = None


class CancelDecision(StrEnum):
    """What a cancel request meets; only REFUND_THEN_CANCEL changes anything."""

    REFUND_THEN_CANCEL = "REFUND_THEN_CANCEL"
    ALREADY_CANCELLED = "ALREADY_CANCELLED"
    REFUSED_DELIVERED = "REFUSED_DELIVERED"
    REFUSED_NOT_PLACED = "REFUSED_NOT_PLACED"
    REFUSED_PAYMENT_IN_PROGRESS = "REFUSED_PAYMENT_IN_PROGRESS"


CANCEL_REASONS = {
    CancelDecision.REFUSED_DELIVERED: "the order has been delivered and can no longer be cancelled",
    CancelDecision.REFUSED_NOT_PLACED: "the order was never placed (its payment did not go "
                                       "through), so there is nothing to cancel",
    CancelDecision.REFUSED_PAYMENT_IN_PROGRESS: "the payment is still being confirmed; "
                                                "try again in a few seconds",
}


class DeliveryUpdate(StrEnum):
    """What delivery news did to the order."""

    APPLIED = "APPLIED"
    STALE = "STALE"  # an older or repeated delivery version
    IGNORED = "IGNORED"  # the order is not (or no longer) being fulfilled


@dataclass(eq=False, kw_only=True)
class Order:
    id: str
    customer_id: str
    lines: tuple[OrderLine, ...]
    total: Money
    shipping_address: ShippingAddress
    status: OrderStatus
    version: int
    created_at: datetime
    updated_at: datetime
    customer_email: str | None = None
    locale: str = "ko"
    payment: Payment | None = None
    payment_outcome_unknown: bool = False
    delivery_version: int = 0
    delivery_status: DeliveryStatus | None = None
    cancel_reason: str | None = None
    events: list[DomainEvent] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        *,
        order_id: str,
        customer_id: str,
        lines: Sequence[OrderLine],
        shipping_address: ShippingAddress,
        at: datetime,
        customer_email: str | None = None,
        locale: str = "ko",
    ) -> Order:
        """A new order waiting for its payment (an unpaid order is not yet an order)."""
        if not lines:
            raise ValueError("an order has at least one line")
        currencies = {line.unit_price.currency for line in lines}
        if len(currencies) != 1:
            raise ValueError("an order is paid in one currency")
        return cls(
            id=order_id,
            customer_id=customer_id,
            customer_email=customer_email,
            locale=locale,
            lines=tuple(lines),
            total=Money.total((line.subtotal for line in lines), currencies.pop()),
            shipping_address=shipping_address,
            status=OrderStatus.PAYMENT_PENDING,
            version=1,
            created_at=at,
            updated_at=at,
        )

    # --- payment ---------------------------------------------------------------------------

    @property
    def awaits_payment(self) -> bool:
        """The payment outcome is still open: pending, or unknown after a timeout."""
        return self.status is OrderStatus.PAYMENT_PENDING or (
            self.status is OrderStatus.PAYMENT_UNAVAILABLE and self.payment_outcome_unknown
        )

    def can_accept(self, payment: Payment) -> bool:
        """An approved payment establishes this order only while its outcome is open and it matches."""
        return (self.awaits_payment and payment.status is PaymentStatus.APPROVED
                and payment.amount == self.total)

    def record_approved_payment(self, payment: Payment, at: datetime) -> None:
        if not self.can_accept(payment):
            raise InvalidTransition(f"order {self.id} cannot accept payment {payment.id} "
                                    f"({self.status}, {payment.status}, {payment.amount})")
        self.payment = payment
        self.payment_outcome_unknown = False
        self._move(OrderStatus.PLACED, at)
        self.events.append(OrderPlaced(order=self._snapshot(), payment=payment, placed_at=at))

    def record_declined_payment(self, payment: Payment, at: datetime) -> None:
        if not self.awaits_payment:
            raise InvalidTransition(f"order {self.id} is {self.status}, not awaiting payment")
        self.payment = payment
        self.payment_outcome_unknown = False
        self._move(OrderStatus.PAYMENT_DECLINED, at)

    def record_payment_unavailable(self, *, outcome_unknown: bool, at: datetime) -> None:
        """Nothing was charged (or, with `outcome_unknown`, we cannot tell yet)."""
        if not self.awaits_payment:
            raise InvalidTransition(f"order {self.id} is {self.status}, not awaiting payment")
        self.payment_outcome_unknown = outcome_unknown
        self._move(OrderStatus.PAYMENT_UNAVAILABLE, at)

    def record_nothing_charged(self, at: datetime) -> None:
        """The provider has no payment for this order: the unknown outcome was a failure."""
        self.record_payment_unavailable(outcome_unknown=False, at=at)

    @property
    def can_retry_payment(self) -> bool:
        """A customer's retry after 'payment is busy' pays this same order (same idempotency key)."""
        return self.status is OrderStatus.PAYMENT_UNAVAILABLE

    def retry_payment(self, at: datetime) -> None:
        if not self.can_retry_payment:
            raise InvalidTransition(f"order {self.id} is {self.status}; its payment is not retried")
        self.payment_outcome_unknown = False
        self._move(OrderStatus.PAYMENT_PENDING, at)

    # --- cancellation ----------------------------------------------------------------------

    def cancellation(self) -> CancelDecision:
        """May this order be cancelled now? (Cancelling while in delivery cancels the delivery.)"""
        if self.status is OrderStatus.CANCELLED:
            return CancelDecision.ALREADY_CANCELLED
        if self.status is OrderStatus.DELIVERED:
            return CancelDecision.REFUSED_DELIVERED
        if self.status in _PROGRESS:
            return CancelDecision.REFUND_THEN_CANCEL
        if self.awaits_payment:
            return CancelDecision.REFUSED_PAYMENT_IN_PROGRESS
        return CancelDecision.REFUSED_NOT_PLACED

    def cancel(self, refund: Payment, reason: str | None, at: datetime) -> None:
        if self.cancellation() is not CancelDecision.REFUND_THEN_CANCEL:
            raise InvalidTransition(f"order {self.id} is {self.status}; it cannot be cancelled")
        if self.payment is None or refund.id != self.payment.id:
            raise InvalidTransition(f"refund {refund.id} is not this order's payment")
        self.payment = refund
        self.cancel_reason = reason
        self._move(OrderStatus.CANCELLED, at)
        self.events.append(OrderCancelled(order=self._snapshot(), refund=refund, reason=reason,
                                          cancelled_at=at))

    # --- fulfilment ------------------------------------------------------------------------

    def follow_delivery(self, status: DeliveryStatus, delivery_version: int,
                        at: datetime) -> DeliveryUpdate:
        """Delivery news moves the order forward only: stale or repeated news changes nothing."""
        if self.status not in _PROGRESS:
            return DeliveryUpdate.IGNORED  # cancelled (or never placed): fulfilment is over
        if delivery_version <= self.delivery_version:
            return DeliveryUpdate.STALE
        self.delivery_version = delivery_version
        self.delivery_status = status
        target = _FOLLOWS.get(status)
        if target is not None and _PROGRESS[target] > _PROGRESS[self.status]:
            self._move(target, at)
        else:
            self.updated_at = at
        return DeliveryUpdate.APPLIED

    # --- internals -------------------------------------------------------------------------

    def _move(self, status: OrderStatus, at: datetime) -> None:
        self.status = status
        self.version += 1
        self.updated_at = at

    def _snapshot(self) -> OrderSnapshot:
        return OrderSnapshot(order_id=self.id, customer_id=self.customer_id,
                             customer_email=self.customer_email, locale=self.locale,
                             order_version=self.version, lines=self.lines, total=self.total,
                             shipping_address=self.shipping_address)


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """What an event tells about the order at the moment it happened."""

    order_id: str
    customer_id: str
    customer_email: str | None
    locale: str
    order_version: int
    lines: tuple[OrderLine, ...]
    total: Money
    shipping_address: ShippingAddress

"""The Delivery aggregate: the seller's copy of a paid order and the rules of its status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict
from uuid import UUID

from delivery.domain.events import (
    CancellationRefused,
    DeliveryCancelled,
    DeliveryEvent,
    DeliveryRequested,
    DeliveryStarted,
    DeliveryStatusChanged,
)
from delivery.domain.values import Customer, DeliveryStatus, Line, ShippingAddress

# The seller moves a parcel one step at a time; anything else is refused with a reason.
_NEXT: dict[DeliveryStatus, DeliveryStatus] = {
    DeliveryStatus.REQUESTED: DeliveryStatus.STARTED,
    DeliveryStatus.STARTED: DeliveryStatus.IN_TRANSIT,
    DeliveryStatus.IN_TRANSIT: DeliveryStatus.DELIVERED,
}


@dataclass(frozen=True)
class Changed:
    """The delivery moved from `previous` to its new status."""

    previous: DeliveryStatus


@dataclass(frozen=True)
class Refused:
    """The request breaks a rule; `reason` says which, in words a seller understands."""

    reason: str


@dataclass(frozen=True)
class Unchanged:
    """Nothing to do (the wish already holds); repeating a cancel is harmless."""

    reason: str


Outcome = Changed | Refused | Unchanged


@dataclass
class Delivery:
    id: UUID
    order_id: UUID
    customer: Customer
    status: DeliveryStatus
    lines: tuple[Line, ...]
    shipping_address: ShippingAddress
    version: int
    created_at: datetime
    updated_at: datetime
    cancellation_refused_reason: str | None = None
    """Why an order cancellation left this delivery as it was (shown to the seller)."""
    events: list[DeliveryEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def request(
        cls,
        *,
        delivery_id: UUID,
        order_id: UUID,
        customer: Customer,
        lines: tuple[Line, ...],
        shipping_address: ShippingAddress,
        at: datetime,
    ) -> Delivery:
        delivery = cls(
            id=delivery_id,
            order_id=order_id,
            customer=customer,
            status=DeliveryStatus.REQUESTED,
            lines=lines,
            shipping_address=shipping_address,
            version=1,
            created_at=at,
            updated_at=at,
        )
        delivery.events.append(DeliveryRequested(**delivery._facts(at)))
        return delivery

    def start(self, at: datetime) -> Outcome:
        if self.status is not DeliveryStatus.REQUESTED:
            return Refused(f"Only a REQUESTED delivery can be started; this one is {self.status}.")
        previous = self._move(DeliveryStatus.STARTED, at)
        self.events.append(DeliveryStarted(**self._facts(at), previous_status=previous))
        return Changed(previous)

    def advance(self, to: DeliveryStatus, at: datetime) -> Outcome:
        """Report IN_TRANSIT or DELIVERED; starting and cancelling have their own methods."""
        if to not in (DeliveryStatus.IN_TRANSIT, DeliveryStatus.DELIVERED):
            return Refused(f"The status can only be set to IN_TRANSIT or DELIVERED, not {to}.")
        if _NEXT.get(self.status) is not to:
            return Refused(self._why_not(to))
        previous = self._move(to, at)
        self.events.append(DeliveryStatusChanged(**self._facts(at), previous_status=previous))
        return Changed(previous)

    def cancel(self, reason: str, at: datetime) -> Outcome:
        """Cancel unless the parcel has arrived; a refusal is recorded for the seller to see."""
        if self.status is DeliveryStatus.CANCELLED:
            return Unchanged("The delivery is already cancelled.")
        if self.status is DeliveryStatus.DELIVERED:
            why = "The order was cancelled after its parcel had been delivered; nothing changed."
            self.cancellation_refused_reason = why
            self.updated_at = at
            self.events.append(CancellationRefused(**self._facts(at), reason=why))
            return Refused(why)
        previous = self._move(DeliveryStatus.CANCELLED, at)
        self.events.append(DeliveryCancelled(**self._facts(at), previous_status=previous,
                                             reason=reason))
        return Changed(previous)

    def _move(self, to: DeliveryStatus, at: datetime) -> DeliveryStatus:
        previous, self.status = self.status, to
        self.version += 1
        self.updated_at = at
        return previous

    def _why_not(self, to: DeliveryStatus) -> str:
        if self.status in (DeliveryStatus.CANCELLED, DeliveryStatus.DELIVERED):
            return f"The delivery is {self.status}; its status can no longer change."
        if self.status is to:
            return f"The delivery is already {to}."
        needed = next(s for s, n in _NEXT.items() if n is to)
        return f"A delivery must be {needed} to become {to}; this one is {self.status}."

    def _facts(self, at: datetime) -> _Facts:
        return _Facts(delivery_id=self.id, order_id=self.order_id, customer=self.customer,
                      status=self.status, version=self.version, at=at)


class _Facts(TypedDict):
    delivery_id: UUID
    order_id: UUID
    customer: Customer
    status: DeliveryStatus
    version: int
    at: datetime

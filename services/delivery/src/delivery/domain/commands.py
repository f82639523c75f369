"""What callers ask the delivery service to do, in the imperative; each one frozen and small."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from delivery.domain.values import Customer, DeliveryStatus, Line, ShippingAddress


@dataclass(frozen=True)
class RequestDelivery:
    """Put a paid order into the seller's queue (from OrderPlaced)."""

    order_id: UUID
    customer: Customer
    lines: tuple[Line, ...]
    shipping_address: ShippingAddress


@dataclass(frozen=True)
class CancelDelivery:
    """Stop the delivery of a cancelled order (from OrderCancelled)."""

    order_id: UUID
    customer_id: str
    reason: str


@dataclass(frozen=True)
class StartDelivery:
    """The seller accepts the order and starts delivering it."""

    delivery_id: UUID


@dataclass(frozen=True)
class ChangeDeliveryStatus:
    """The seller reports that the parcel moved on."""

    delivery_id: UUID
    status: DeliveryStatus

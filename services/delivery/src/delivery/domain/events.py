"""What happened to a delivery, in the past tense; each one frozen and small."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from delivery.domain.values import Customer, DeliveryStatus


@dataclass(frozen=True)
class DeliveryEvent:
    """Facts every delivery event carries, so consumers need no lookup to act on it."""

    delivery_id: UUID
    order_id: UUID
    customer: Customer
    status: DeliveryStatus
    version: int
    at: datetime


@dataclass(frozen=True)
class DeliveryRequested(DeliveryEvent):
    """The paid order reached the seller's queue."""


@dataclass(frozen=True)
class DeliveryStarted(DeliveryEvent):
    """The seller accepted the order and started delivery."""

    previous_status: DeliveryStatus


@dataclass(frozen=True)
class DeliveryStatusChanged(DeliveryEvent):
    """The parcel moved on (IN_TRANSIT or DELIVERED)."""

    previous_status: DeliveryStatus


@dataclass(frozen=True)
class DeliveryCancelled(DeliveryEvent):
    """The order was cancelled before the parcel arrived."""

    previous_status: DeliveryStatus
    reason: str


@dataclass(frozen=True)
class CancellationRefused(DeliveryEvent):
    """The order was cancelled after delivery; the delivery stays as it is (not published)."""

    reason: str

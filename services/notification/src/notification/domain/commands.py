"""What the notification service is asked to do, in the imperative; each one frozen and small."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class Locale(StrEnum):
    KO = "ko"
    EN = "en"


class DeliveryStatus(StrEnum):
    REQUESTED = "REQUESTED"
    STARTED = "STARTED"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class Recipient:
    customer_id: str
    email: str | None = None
    locale: Locale = Locale.KO


@dataclass(frozen=True)
class Item:
    name: str
    quantity: int
    unit_price: int
    """Won (KRW has no minor unit)."""


@dataclass(frozen=True)
class SendPurchaseReceipt:
    order_id: UUID
    recipient: Recipient
    items: tuple[Item, ...]
    total: int


@dataclass(frozen=True)
class SendCancellationNotice:
    order_id: UUID
    recipient: Recipient
    items: tuple[Item, ...]
    refund: int


@dataclass(frozen=True)
class SendDeliveryUpdate:
    order_id: UUID
    recipient: Recipient
    status: DeliveryStatus
    previous_status: DeliveryStatus | None = None


Notify = SendPurchaseReceipt | SendCancellationNotice | SendDeliveryUpdate

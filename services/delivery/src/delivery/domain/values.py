"""Value objects of the delivery domain: statuses, the customer, order lines and the address."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class DeliveryStatus(StrEnum):
    REQUESTED = "REQUESTED"
    STARTED = "STARTED"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class Locale(StrEnum):
    KO = "ko"
    EN = "en"


@dataclass(frozen=True)
class Customer:
    """Who ordered, as the order said: carried on every event so notifications need no lookup."""

    customer_id: str
    email: str | None = None
    locale: Locale = Locale.KO


@dataclass(frozen=True)
class Money:
    amount: int
    """Minor units; KRW has none, so won."""
    currency: str = "KRW"


@dataclass(frozen=True)
class Line:
    product_id: UUID
    name: str
    unit_price: Money
    quantity: int


@dataclass(frozen=True)
class ShippingAddress:
    recipient: str
    line1: str
    city: str
    postal_code: str
    phone: str

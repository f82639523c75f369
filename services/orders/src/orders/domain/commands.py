"""Commands: what a caller asks the orders service to do, in the imperative."""

from __future__ import annotations

from dataclasses import dataclass

from orders.domain.order import DeliveryStatus, ShippingAddress
from orders.domain.product import Product


@dataclass(frozen=True, slots=True)
class RequestedLine:
    product_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """Buy these lines, paying now with this card.

    `fingerprint` identifies the request body, so a repeated `idempotency_key` can tell a
    retry (same body) from a reuse (another body). The card number is only passed to the
    provider, never stored.
    """

    customer_id: str
    lines: tuple[RequestedLine, ...]
    shipping_address: ShippingAddress
    card_number: str
    customer_email: str | None = None
    locale: str = "ko"
    idempotency_key: str | None = None
    fingerprint: str = ""


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order_id: str
    customer_id: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReplicateProduct:
    """Keep the catalog's latest announcement of a product (registered, updated or deleted)."""

    event_id: str
    product: Product


@dataclass(frozen=True, slots=True)
class FollowDelivery:
    """Move an order along with its delivery."""

    event_id: str
    order_id: str
    delivery_id: str
    status: DeliveryStatus
    delivery_version: int

"""What happened to a product, in the past tense; the application publishes each as an event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ProductSnapshot:
    """The product's state right after the change (consumers keep the highest version)."""

    product_id: str
    sku: str
    name: str
    description: str
    category: str
    price_amount: int
    currency: str
    stock: int
    version: int
    occurred_at: datetime


@dataclass(frozen=True)
class ProductRegistered:
    product: ProductSnapshot


@dataclass(frozen=True)
class ProductUpdated:
    product: ProductSnapshot


@dataclass(frozen=True)
class ProductDeleted:
    product_id: str
    sku: str
    version: int


ProductEvent = ProductRegistered | ProductUpdated | ProductDeleted

"""Ports of the catalog's use cases: where products are kept, and what time it is."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from catalog.domain.product import Product
from fitshop_common.events import Envelope


class ConcurrentChange(Exception):
    """Another writer stored this version of the product first; reload and decide again."""


@dataclass(frozen=True)
class PageCursor:
    """Where the previous page ended in the list order (newest first, then id)."""

    created_at: datetime
    product_id: str


@dataclass(frozen=True)
class ProductQuery:
    category: str | None = None
    text: str | None = None
    """Words that must each appear in the name or SKU (case-insensitive, any position)."""
    limit: int = 50
    after: PageCursor | None = None


@dataclass(frozen=True)
class ProductPage:
    items: list[Product]
    next: PageCursor | None


class ProductRepository(ABC):
    @abstractmethod
    async def get(self, product_id: str) -> Product | None:
        """The current state, deleted products included (None if it never existed)."""

    @abstractmethod
    async def save(self, product: Product, events: Sequence[Envelope]) -> None:
        """Store `product` at its version together with `events`, atomically.

        Raises ConcurrentChange when that version is already stored: whoever stored it read
        the same state, so the caller must read again and decide again.
        """

    @abstractmethod
    async def list(self, query: ProductQuery) -> ProductPage:
        """Products not deleted, newest first."""


class Clock(ABC):
    @abstractmethod
    def now(self) -> datetime: ...

"""In-memory fakes of the catalog's ports, with the same promises as the MongoDB adapter."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from catalog.application.ports import (
    Clock,
    ConcurrentChange,
    PageCursor,
    ProductPage,
    ProductQuery,
    ProductRepository,
)
from catalog.domain.product import Product
from fitshop_common.events import Envelope


@dataclass
class StoredRevision:
    product: Product
    events: list[Envelope]


class FakeProductRepository(ProductRepository):
    """Revisions per product; storing a version twice raises ConcurrentChange, like the unique id."""

    def __init__(self) -> None:
        self.revisions: dict[str, list[StoredRevision]] = {}
        self.before_save: list[object] = []

    async def get(self, product_id: str) -> Product | None:
        revisions = self.revisions.get(product_id)
        return copy.deepcopy(revisions[-1].product) if revisions else None

    async def save(self, product: Product, events: Sequence[Envelope]) -> None:
        for hook in self.before_save:  # lets a test slip a concurrent writer in
            await hook()  # type: ignore[operator]
        revisions = self.revisions.setdefault(product.id, [])
        if any(r.product.version == product.version for r in revisions):
            raise ConcurrentChange(f"{product.id} v{product.version}")
        stored = copy.deepcopy(product)
        stored.events = []
        revisions.append(StoredRevision(stored, list(events)))

    async def list(self, query: ProductQuery) -> ProductPage:
        latest = [r[-1].product for r in self.revisions.values() if not r[-1].product.deleted]
        matching = [
            p for p in latest
            if (query.category is None or p.category == query.category)
            and all(w in f"{p.name} {p.sku}".lower() for w in (query.text or "").lower().split())
            and (query.after is None
                 or (p.created_at, p.id) < (query.after.created_at, query.after.product_id))
        ]
        matching.sort(key=lambda p: (p.created_at, p.id), reverse=True)
        page = matching[: query.limit]
        more = len(matching) > query.limit
        return ProductPage(page, PageCursor(page[-1].created_at, page[-1].id) if more else None)

    def events(self) -> list[Envelope]:
        return [e for revisions in self.revisions.values() for r in revisions for e in r.events]


class TickingClock(Clock):
    """Each reading is one second after the previous one, from a fixed start."""

    def __init__(self, start: datetime = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)) -> None:
        self._now = start

    def now(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now

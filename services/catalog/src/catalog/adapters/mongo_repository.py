"""Products in MongoDB: a revision document per change (carrying its events), and a current view.

Why revisions instead of updating one document in place: the local MongoDB-wire server
(FerretDB v1) applies an update as read-modify-write without isolation, so two concurrent
updates of one document can both "succeed" and one is lost — even `$inc`, and even with a
version in the filter. An insert against a unique `_id` is atomic there as in MongoDB. So:

- `product_revisions`: `_id` = "<product id>:<version, 10 digits>". Storing version N+1 is one
  insert that fails if anyone stored N+1 first (optimistic concurrency without transactions).
  It carries the change's events in its `outbox` array (see fitshop_common.mongo_outbox), so
  a change and its events are written together or not at all, the product's state, and the
  newest order event applied to its stock (so consumers stay idempotent, see `get`).
- `products`: one document per product, the newest revision's state (with the ids of the
  order events its stock applied), for reads, lists, filters and search. A writer refreshes it after its insert and re-checks until it is at
  least as new as the newest revision, so a slow writer cannot leave an older state behind.

Reads go by `_id` only (the view, then a probe for a newer revision): FerretDB v1 on SQLite
scans the whole collection for any other filter. For the same reason revisions are pruned
once published and older than `REVISION_RETENTION`, which keeps the relay's scan small.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from catalog.application.ports import (
    ConcurrentChange,
    PageCursor,
    ProductPage,
    ProductQuery,
    ProductRepository,
)
from catalog.domain.product import REMEMBERED_STOCK_MOVES, Money, Product
from fitshop_common.events import Envelope
from fitshop_common.mongo_outbox import outbox_entries

log = logging.getLogger(__name__)

Document = Mapping[str, Any]
MAX_SEARCH_TERMS = 400
# Writers read and insert within milliseconds: a revision this old can no longer be raced for.
REVISION_RETENTION = timedelta(seconds=30)
_PROJECTION_ROUNDS = 20


def revision_id(product_id: str, version: int) -> str:
    return f"{product_id}:{version:010d}"


def _state(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "price": {"amount": product.price.amount, "currency": product.price.currency},
        "stock": product.stock,
        "oversold": product.oversold,
        "version": product.version,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
        "deleted": product.deleted,
    }


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _product(state: Document) -> Product:
    return Product(
        id=state["id"], sku=state["sku"], name=state["name"], description=state["description"],
        category=state["category"],
        price=Money(int(state["price"]["amount"]), str(state["price"]["currency"])),
        stock=int(state["stock"]), oversold=int(state["oversold"]), version=int(state["version"]),
        created_at=_utc(state["created_at"]), updated_at=_utc(state["updated_at"]),
        deleted=bool(state["deleted"]),
        stock_moves=tuple(state.get("stock_moves", ())),
    )


def search_terms(product: Product) -> list[str]:
    """Every suffix of every lower-cased word of the name and SKU: a prefix match on these is a
    substring match on the words, and prefix matches can use an index (no text index needed,
    which FerretDB v1 lacks, and it works for Korean, where words are not split by spaces)."""
    words = set(product.name.lower().split())
    sku = product.sku.lower()
    words.add(sku)
    words.update(part for part in re.split(r"[-_]", sku) if part)
    terms: set[str] = set()
    for word in sorted(words):
        terms.update(word[i:] for i in range(len(word)))
    return sorted(terms, key=lambda t: (-len(t), t))[:MAX_SEARCH_TERMS]


def _view(product: Product) -> dict[str, Any]:
    return {"_id": product.id, **_state(product), "stock_moves": list(product.stock_moves),
            "search": search_terms(product)}


def escape_regex(text: str) -> str:
    """Escape for the regex dialects of MongoDB (PCRE) and FerretDB (Go RE2) alike."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


class MongoProductRepository(ProductRepository):
    def __init__(self, db: AsyncDatabase[Document],
                 on_saved: Callable[[], None] | None = None) -> None:
        self.revisions: AsyncCollection[Document] = db["product_revisions"]
        self.products: AsyncCollection[Document] = db["products"]
        self.on_saved: Callable[[], None] = on_saved or (lambda: None)
        """Called after each stored revision (the relay's wake-up in this process)."""

    async def ensure_indexes(self) -> None:
        """Create the indexes (idempotent: creating an existing index is a no-op)."""
        await self.revisions.create_index([("recorded_at", ASCENDING)], name="prunable")
        await self.revisions.create_index([("outbox.id", ASCENDING)], name="pending_outbox")
        await self.products.create_index([("sku", ASCENDING)], unique=True, name="unique_sku")
        await self.products.create_index(
            [("deleted", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            name="newest_first")
        await self.products.create_index(
            [("category", ASCENDING), ("deleted", ASCENDING), ("created_at", DESCENDING),
             ("_id", DESCENDING)], name="category_newest_first")
        await self.products.create_index([("search", ASCENDING)], name="search_terms")

    async def get(self, product_id: str) -> Product | None:
        return (await self._newest(product_id))[0]

    async def _newest(self, product_id: str) -> tuple[Product | None, int]:
        """The newest state, and the version the view shows (0 without a view)."""
        view = await self.products.find_one({"_id": product_id})
        current = _product(view) if view else None
        shown = version = current.version if current else 0
        # Versions are consecutive: walk past the view to the newest revision, if any. A
        # revision names only the newest order event applied (`last_stock_move`): the list
        # of remembered ones lives in the view, rebuilt here for the revisions past it.
        while True:
            newer = await self.revisions.find_one({"_id": revision_id(product_id, version + 1)})
            if newer is None:
                return current, shown
            moves = current.stock_moves if current else ()
            last = newer.get("last_stock_move")
            if last and last not in moves:
                moves = (*moves, last)[-REMEMBERED_STOCK_MOVES:]
            current = _product(newer["state"])
            current.stock_moves = moves
            version += 1

    async def save(self, product: Product, events: Sequence[Envelope]) -> None:
        try:
            await self.revisions.insert_one({
                "_id": revision_id(product.id, product.version),
                "product_id": product.id,
                "version": product.version,
                "state": _state(product),
                "last_stock_move": product.stock_moves[-1] if product.stock_moves else None,
                "outbox": outbox_entries(events),
                "recorded_at": datetime.now(UTC),
            })
        except DuplicateKeyError:
            raise ConcurrentChange(f"{product.id} version {product.version} exists") from None
        self.on_saved()
        await self._project(product)

    async def prune(self, older_than: timedelta = REVISION_RETENTION) -> int:
        """Drop published revisions older than `older_than` that the view has overtaken; their
        state lives on in the view (and their events in the stream)."""
        cutoff = datetime.now(UTC) - older_than
        candidates = self.revisions.find(
            {"recorded_at": {"$lt": cutoff}, "outbox.0": {"$exists": False}},
            {"product_id": 1, "version": 1})
        shown: dict[str, int] = {}
        doomed = []
        async for revision in candidates:
            product_id = revision["product_id"]
            if product_id not in shown:
                view = await self.products.find_one({"_id": product_id}, {"version": 1})
                shown[product_id] = int(view["version"]) if view else 0
            if revision["version"] < shown[product_id]:
                doomed.append(revision["_id"])
        if not doomed:
            return 0
        result = await self.revisions.delete_many({"_id": {"$in": doomed}})
        return int(result.deleted_count)

    async def prune_forever(self, stop: asyncio.Event, every_seconds: float = 10.0) -> None:
        """A worker loop: prune, then wait `every_seconds` (or until stopped)."""
        while not stop.is_set():
            try:
                pruned = await self.prune()
                if pruned:
                    log.info("pruned product revisions", extra={"pruned": pruned})
            except PyMongoError as exc:
                log.warning("could not prune product revisions: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_seconds)

    async def list(self, query: ProductQuery) -> ProductPage:
        conditions: list[dict[str, Any]] = [{"deleted": False}]
        if query.category:
            conditions.append({"category": query.category})
        for word in (query.text or "").lower().split():
            conditions.append({"search": {"$regex": "^" + escape_regex(word)}})
        if query.after is not None:
            at, last = query.after.created_at, query.after.product_id
            conditions.append({"$or": [{"created_at": {"$lt": at}},
                                       {"created_at": at, "_id": {"$lt": last}}]})
        cursor = (
            self.products.find({"$and": conditions}, {"search": 0, "stock_moves": 0})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(query.limit + 1)
        )
        found = [_product(doc) async for doc in cursor]
        items = found[: query.limit]
        more = len(found) > query.limit
        last_item = items[-1] if items else None
        next_cursor = PageCursor(last_item.created_at, last_item.id) if more and last_item else None
        return ProductPage(items, next_cursor)

    async def _project(self, product: Product) -> None:
        """Bring the list view to the newest revision (at least `product`'s version)."""
        target = product
        for _ in range(_PROJECTION_ROUNDS):
            replaced = await self.products.replace_one(
                {"_id": target.id, "version": {"$lt": target.version}}, _view(target))
            if replaced.matched_count == 0:
                # DuplicateKeyError: the view exists, at this version or a newer one
                with contextlib.suppress(DuplicateKeyError):
                    await self.products.insert_one(_view(target))
            newest, shown = await self._newest(target.id)
            if newest is None or shown >= newest.version:
                return
            target = newest  # someone else's newer revision, or ours overwritten by an older one
        # The revision is stored (the truth); only the list view lags, until the next change.
        log.warning("list view of a product did not settle", extra={"product_id": product.id})

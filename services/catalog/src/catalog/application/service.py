"""The catalog's use cases: sellers manage products; paid and cancelled orders move stock."""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import datetime
from typing import Any

from catalog.application.errors import (
    ProductNotFound,
    SkuAlreadyRegistered,
    StockContention,
    VersionConflict,
)
from catalog.application.ports import (
    Clock,
    ConcurrentChange,
    ProductPage,
    ProductQuery,
    ProductRepository,
)
from catalog.domain.commands import (
    DeleteProduct,
    RegisterProduct,
    ReturnStockForOrder,
    StockForOrder,
    TakeStockForOrder,
    UpdateProduct,
)
from catalog.domain.events import (
    ProductDeleted,
    ProductEvent,
    ProductRegistered,
    ProductSnapshot,
)
from catalog.domain.product import Product, StaleVersion, StockMovement, product_id_for
from fitshop_common.events import Envelope

log = logging.getLogger(__name__)

PRODUCER = "catalog"
# Writers on one product retry on a lost race; this many losses in a row means a storm, and
# the order event is better retried later by the broker than spun on here.
MAX_ATTEMPTS = 25


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def product_data(snapshot: ProductSnapshot) -> dict[str, Any]:
    """The `data` of product.registered / product.updated (contracts/events)."""
    return {
        "product_id": snapshot.product_id,
        "sku": snapshot.sku,
        "name": snapshot.name,
        "description": snapshot.description,
        "category": snapshot.category,
        "price": {"amount": snapshot.price_amount, "currency": snapshot.currency},
        "stock": snapshot.stock,
        "version": snapshot.version,
        "updated_at": _rfc3339(snapshot.occurred_at),
    }


def to_envelope(event: ProductEvent, *, correlation_id: str, causation_id: str | None) -> Envelope:
    if isinstance(event, ProductDeleted):
        return Envelope.new(
            "product.deleted",
            {"product_id": event.product_id, "sku": event.sku, "version": event.version},
            producer=PRODUCER, correlation_id=correlation_id, causation_id=causation_id,
        )
    kind = "product.registered" if isinstance(event, ProductRegistered) else "product.updated"
    return Envelope.new(
        kind, product_data(event.product), producer=PRODUCER, correlation_id=correlation_id,
        causation_id=causation_id, occurred_at=event.product.occurred_at,
    )


class CatalogService:
    """One method per command; reads for the API go straight to the repository."""

    def __init__(self, products: ProductRepository, clock: Clock) -> None:
        self._products = products
        self._clock = clock
        # One writer per product in this process: concurrent order events on a popular product
        # would otherwise mostly lose the version race and retry. Between replicas the
        # repository's version check still decides.
        self._writing: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def _lock(self, product_id: str) -> asyncio.Lock:
        lock = self._writing.get(product_id)
        if lock is None:
            lock = self._writing[product_id] = asyncio.Lock()
        return lock

    async def register(self, command: RegisterProduct) -> Product:
        """Put a new product on sale (the SKU of a deleted product may be registered again)."""
        product = Product.register(command.sku, command.details, self._clock.now())
        async with self._lock(product.id):
            return await self._register(product, command)

    async def _register(self, product: Product, command: RegisterProduct) -> Product:
        existing = await self._products.get(product.id)
        if existing is not None:
            if not existing.deleted:
                raise SkuAlreadyRegistered(f"The SKU {product.sku} is already registered.")
            existing.register_again(command.details, self._clock.now())
            product = existing
        try:
            await self._save(product, correlation_id=product.id)
        except ConcurrentChange:
            raise SkuAlreadyRegistered(f"The SKU {product.sku} is already registered.") from None
        return product

    async def update(self, command: UpdateProduct) -> Product:
        """Apply a seller's changes made on a version they read (a stale one is refused)."""
        async with self._lock(command.product_id):
            return await self._update(command)

    async def _update(self, command: UpdateProduct) -> Product:
        product = await self._live(command.product_id)
        try:
            changed = product.update(command.expected_version, command.changes, self._clock.now())
        except StaleVersion as stale:
            raise VersionConflict(
                f"The product changed meanwhile: it is at version {stale.current}, "
                f"the change was made on version {stale.expected}.", stale.current) from None
        if changed:
            try:
                await self._save(product, correlation_id=product.id)
            except ConcurrentChange:
                raise VersionConflict(
                    "The product changed meanwhile; read it again and retry.") from None
        return product

    async def delete(self, command: DeleteProduct) -> None:
        """Take a product off sale for good (it then answers 404)."""
        async with self._lock(command.product_id):
            await self._delete(command)

    async def _delete(self, command: DeleteProduct) -> None:
        for _ in range(MAX_ATTEMPTS):
            product = await self._live(command.product_id)
            product.delete(self._clock.now())
            try:
                await self._save(product, correlation_id=product.id)
                return
            except ConcurrentChange:
                continue  # a concurrent change won the version: delete the newer state
        raise StockContention(f"product {command.product_id} is changing too fast to delete")

    async def get(self, product_id: str) -> Product:
        return await self._live(product_id)

    async def list_products(self, query: ProductQuery) -> ProductPage:
        """Products on sale, newest first (a read: no command, no event)."""
        return await self._products.list(query)

    async def take_stock_for_order(self, command: TakeStockForOrder) -> list[StockMovement]:
        """Units of a paid order leave stock, once per order event even if it comes again."""
        return await self._move_stock(command, take=True)

    async def return_stock_for_order(self, command: ReturnStockForOrder) -> list[StockMovement]:
        """Units of a cancelled order come back, once per order event."""
        return await self._move_stock(command, take=False)

    async def _move_stock(self, command: StockForOrder, *, take: bool) -> list[StockMovement]:
        movements = []
        for product_id, quantity in sorted(command.quantities().items()):
            movement = await self._move_one(product_id, quantity, command, take=take)
            if movement is not None:
                movements.append(movement)
        return movements

    async def _move_one(self, product_id: str, quantity: int, command: StockForOrder, *,
                        take: bool) -> StockMovement | None:
        async with self._lock(product_id):
            return await self._move_one_locked(product_id, quantity, command, take=take)

    async def _move_one_locked(self, product_id: str, quantity: int, command: StockForOrder, *,
                               take: bool) -> StockMovement | None:
        for _ in range(MAX_ATTEMPTS):
            product = await self._products.get(product_id)
            if product is None or product.deleted:
                log.warning("stock movement for an unknown or deleted product ignored",
                            extra={"product_id": product_id, "order_id": command.order_id})
                return None
            now = self._clock.now()
            move = product.take_stock if take else product.return_stock
            movement = move(quantity, now, command.event_id)
            if movement is None:
                return None  # this event already moved this product's stock
            try:
                # The state we decided on remembers the event; a racing delivery of it stores
                # the same version first and we fail here, then read that it was applied.
                await self._save(product, correlation_id=command.order_id,
                                 causation_id=command.event_id)
            except ConcurrentChange:
                continue
            if movement.oversold:
                log.warning("order took more units than in stock", extra={
                    "product_id": product_id, "order_id": command.order_id,
                    "oversold": movement.oversold})
            return movement
        raise StockContention(f"could not move stock of {product_id}: too many concurrent changes")

    async def _live(self, product_id: str) -> Product:
        product = await self._products.get(product_id)
        if product is None or product.deleted:
            raise ProductNotFound(f"No product has the id {product_id}.")
        return product

    async def _save(self, product: Product, *, correlation_id: str,
                    causation_id: str | None = None) -> None:
        envelopes = [to_envelope(e, correlation_id=correlation_id, causation_id=causation_id)
                     for e in product.events]
        await self._products.save(product, envelopes)
        product.events.clear()


__all__ = ["CatalogService", "product_data", "product_id_for", "to_envelope"]

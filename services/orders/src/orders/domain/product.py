"""The local replica of a catalog product: what orders needs to price and accept a line."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orders.domain.money import Money


class Availability(StrEnum):
    """Whether a product can be ordered in a given quantity, as far as the replica knows."""

    AVAILABLE = "AVAILABLE"
    UNKNOWN = "UNKNOWN"
    DELETED = "DELETED"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    NOT_ENOUGH_STOCK = "NOT_ENOUGH_STOCK"


@dataclass(frozen=True, slots=True)
class Product:
    """One catalog product as last announced; `version` orders announcements of the same product."""

    id: str
    sku: str
    name: str
    price: Money
    stock: int
    version: int
    deleted: bool = False
    category: str = ""

    def supersedes(self, current: Product | None) -> bool:
        """Only a newer announcement changes the replica: redelivered or late events are ignored."""
        return current is None or self.version > current.version

    def availability(self, quantity: int) -> Availability:
        # Stock is advisory here (the replica lags the catalog by an event): 0 or too few blocks
        # the order; a race within that lag is settled by the catalog's stock handling.
        if self.deleted:
            return Availability.DELETED
        if self.stock <= 0:
            return Availability.OUT_OF_STOCK
        if quantity > self.stock:
            return Availability.NOT_ENOUGH_STOCK
        return Availability.AVAILABLE

    @classmethod
    def tombstone(cls, product_id: str, version: int, sku: str = "") -> Product:
        """A deletion we may hear of before (or instead of) the registration: keeps the version."""
        return cls(id=product_id, sku=sku, name="", price=Money.zero(), stock=0, version=version,
                   deleted=True)


def describe(availability: Availability, product: Product | None, quantity: int) -> str:
    """The reason a customer reads when a line cannot be ordered."""
    name = product.name if product is not None and product.name else "this product"
    match availability:
        case Availability.UNKNOWN:
            return "no such product"
        case Availability.DELETED:
            return f"{name} is no longer sold"
        case Availability.OUT_OF_STOCK:
            return f"{name} is out of stock"
        case Availability.NOT_ENOUGH_STOCK:
            stock = product.stock if product is not None else 0
            return f"only {stock} of {name} in stock, {quantity} asked"
        case _:
            return "available"

"""What the catalog is asked to do, in the imperative."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from catalog.domain.product import ProductChanges, ProductDetails


@dataclass(frozen=True)
class RegisterProduct:
    sku: str
    details: ProductDetails


@dataclass(frozen=True)
class UpdateProduct:
    product_id: str
    expected_version: int
    changes: ProductChanges


@dataclass(frozen=True)
class DeleteProduct:
    product_id: str


@dataclass(frozen=True)
class OrderLine:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class StockForOrder:
    """Units an order moves; `event_id` (of the order event) makes the move apply once."""

    event_id: str
    order_id: str
    lines: tuple[OrderLine, ...]

    def quantities(self) -> dict[str, int]:
        """Units per product (an order may list one product on several lines)."""
        totals: Counter[str] = Counter()
        for line in self.lines:
            totals[line.product_id] += line.quantity
        return dict(totals)


@dataclass(frozen=True)
class TakeStockForOrder(StockForOrder):
    """A paid order took these units (from OrderPlaced)."""


@dataclass(frozen=True)
class ReturnStockForOrder(StockForOrder):
    """A cancelled order gives these units back (from OrderCancelled)."""

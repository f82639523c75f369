"""The Product aggregate: what a seller sells, at what price, how many are left, and what changed."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from catalog.domain.events import (
    ProductDeleted,
    ProductEvent,
    ProductRegistered,
    ProductSnapshot,
    ProductUpdated,
)

CURRENCY = "KRW"
SKU_MAX = 40
NAME_MAX = 100
DESCRIPTION_MAX = 2000
CATEGORY_MAX = 40
PRICE_MAX = 100_000_000  # 1억 원: larger is a typo, not a dumbbell
STOCK_MAX = 1_000_000
# How many order events a product remembers having applied to its stock. A repeat of one of
# them changes nothing; an event redelivered after this many later moves of the same product
# would apply again (JetStream redelivers within minutes, so this is a wide margin).
REMEMBERED_STOCK_MOVES = 1000

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
CATEGORY_PATTERN = r"^[a-z0-9][a-z0-9-]*$"

# A SKU names one product for ever: its id is derived from it, so registering a SKU twice
# collides on the id itself (one atomic insert decides, even without transactions).
_PRODUCT_NAMESPACE = uuid.UUID("5b0e3f1c-7a52-4c8e-9f3d-2d6f1b7c9a40")


def product_id_for(sku: str) -> str:
    return str(uuid.uuid5(_PRODUCT_NAMESPACE, normalize_sku(sku)))


def normalize_sku(sku: str) -> str:
    return sku.upper()


class DomainError(Exception):
    """A rule of the catalog refused a change."""


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class InvalidProduct(DomainError):
    """The product would break its rules; `problems` names each field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


class StaleVersion(DomainError):
    """The change was based on a version that is no longer the current one."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"the product is at version {current}, not {expected}")
        self.expected = expected
        self.current = current


class ProductIsDeleted(DomainError):
    """A deleted product cannot change any more."""


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str = CURRENCY


@dataclass(frozen=True)
class ProductDetails:
    """What a seller says about a product."""

    name: str
    description: str
    category: str
    price: Money
    stock: int

    def checked(self) -> ProductDetails:
        """These details tidied (trimmed text), or InvalidProduct naming every broken rule."""
        tidy = replace(self, name=self.name.strip(), description=self.description.strip())
        problems = _problems(tidy)
        if problems:
            raise InvalidProduct(problems)
        return tidy


@dataclass(frozen=True)
class ProductChanges:
    """A partial update: None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    category: str | None = None
    price: Money | None = None
    stock: int | None = None

    def applied_to(self, details: ProductDetails) -> ProductDetails:
        return ProductDetails(
            name=details.name if self.name is None else self.name,
            description=details.description if self.description is None else self.description,
            category=details.category if self.category is None else self.category,
            price=details.price if self.price is None else self.price,
            stock=details.stock if self.stock is None else self.stock,
        )


def check_sku(sku: str) -> str:
    """The normalized SKU, or InvalidProduct."""
    normalized = normalize_sku(sku)
    if not 1 <= len(normalized) <= SKU_MAX or not re.fullmatch(SKU_PATTERN, normalized):
        raise InvalidProduct([FieldProblem(
            "sku", f"1 to {SKU_MAX} letters, digits, '-' or '_', starting with a letter or digit")])
    return normalized


def _problems(details: ProductDetails) -> list[FieldProblem]:
    problems = []
    if not 1 <= len(details.name) <= NAME_MAX:
        problems.append(FieldProblem("name", f"must be 1 to {NAME_MAX} characters (not blank)"))
    if len(details.description) > DESCRIPTION_MAX:
        problems.append(FieldProblem("description", f"must be at most {DESCRIPTION_MAX} characters"))
    if not 1 <= len(details.category) <= CATEGORY_MAX or not re.fullmatch(
        CATEGORY_PATTERN, details.category
    ):
        problems.append(FieldProblem(
            "category", f"1 to {CATEGORY_MAX} lower-case letters, digits or '-', e.g. 'weights'"))
    if details.price.currency != CURRENCY:
        problems.append(FieldProblem("price.currency", f"must be {CURRENCY}"))
    if not 0 < details.price.amount <= PRICE_MAX:
        problems.append(FieldProblem("price.amount", f"must be more than 0 and at most {PRICE_MAX}"))
    if not 0 <= details.stock <= STOCK_MAX:
        problems.append(FieldProblem("stock", f"must be between 0 and {STOCK_MAX}"))
    return problems


@dataclass(frozen=True)
class StockMovement:
    """The outcome of taking or returning units: the stock after, and units sold beyond it."""

    product_id: str
    quantity: int
    stock: int
    oversold: int
    """Units sold that the stock did not cover (0 when it did): a business outcome, not an error."""


@dataclass
class Product:
    """A product on sale. Every change bumps `version` and records one event in `events`.

    Stock is advisory: orders are paid without asking the catalog, so a sale can exceed the
    stock. Then `stock` stays at 0 and `oversold` counts the units owed; returns pay the
    debt first. `stock - oversold` is the signed net, so sales and returns commute.
    `stock_moves` holds the ids of the last order events applied, so each moves stock once.
    """

    id: str
    sku: str
    name: str
    description: str
    category: str
    price: Money
    stock: int
    oversold: int
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = False
    stock_moves: tuple[str, ...] = ()
    events: list[ProductEvent] = field(default_factory=list, compare=False, repr=False)

    @property
    def details(self) -> ProductDetails:
        return ProductDetails(self.name, self.description, self.category, self.price, self.stock)

    @classmethod
    def register(cls, sku: str, details: ProductDetails, now: datetime) -> Product:
        normalized = check_sku(sku)
        checked = details.checked()
        product = cls(
            id=product_id_for(normalized), sku=normalized, name=checked.name,
            description=checked.description, category=checked.category, price=checked.price,
            stock=checked.stock, oversold=0, version=1, created_at=now, updated_at=now,
        )
        product.events.append(ProductRegistered(product.snapshot()))
        return product

    def register_again(self, details: ProductDetails, now: datetime) -> None:
        """The SKU of a deleted product is registered anew: same id, next version, fresh details."""
        if not self.deleted:
            raise DomainError("only a deleted product can be registered again")
        checked = details.checked()
        self._set(checked, oversold=0)
        self.deleted = False
        self.created_at = now
        self._bump(now)
        self.events.append(ProductRegistered(self.snapshot()))

    def update(self, expected_version: int, changes: ProductChanges, now: datetime) -> bool:
        """Apply a seller's changes made on `expected_version`; False when nothing changed.

        A new stock figure states what is available from now on, so it settles `oversold`.
        """
        self._ensure_alive()
        if expected_version != self.version:
            raise StaleVersion(expected_version, self.version)
        checked = changes.applied_to(self.details).checked()
        oversold = 0 if changes.stock is not None else self.oversold
        if checked == self.details and oversold == self.oversold:
            return False
        self._set(checked, oversold=oversold)
        self._bump(now)
        self.events.append(ProductUpdated(self.snapshot()))
        return True

    def delete(self, now: datetime) -> None:
        self._ensure_alive()
        self.deleted = True
        self._bump(now)
        self.events.append(ProductDeleted(self.id, self.sku, self.version))

    def take_stock(self, quantity: int, now: datetime, cause: str) -> StockMovement | None:
        """Units leave with a paid order (never refused: the order is already paid).

        `cause` is the order event's id; None answers a repeat of it, which moves nothing.
        """
        return self._move_stock(-quantity, now, cause)

    def return_stock(self, quantity: int, now: datetime, cause: str) -> StockMovement | None:
        """Units come back with a cancelled order (None for a repeat of `cause`)."""
        return self._move_stock(quantity, now, cause)

    def snapshot(self) -> ProductSnapshot:
        return ProductSnapshot(
            product_id=self.id, sku=self.sku, name=self.name, description=self.description,
            category=self.category, price_amount=self.price.amount, currency=self.price.currency,
            stock=self.stock, version=self.version, occurred_at=self.updated_at,
        )

    def _move_stock(self, delta: int, now: datetime, cause: str) -> StockMovement | None:
        self._ensure_alive()
        if delta == 0:
            raise ValueError("a stock movement moves at least one unit")
        if cause in self.stock_moves:
            return None
        self.stock_moves = (*self.stock_moves, cause)[-REMEMBERED_STOCK_MOVES:]
        uncovered_before = self.oversold
        net = self.stock - self.oversold + delta
        self.stock, self.oversold = max(net, 0), max(-net, 0)
        self._bump(now)
        self.events.append(ProductUpdated(self.snapshot()))
        return StockMovement(self.id, abs(delta), self.stock,
                             max(self.oversold - uncovered_before, 0))

    def _set(self, details: ProductDetails, *, oversold: int) -> None:
        self.name, self.description, self.category = details.name, details.description, details.category
        self.price, self.stock, self.oversold = details.price, details.stock, oversold

    def _bump(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now

    def _ensure_alive(self) -> None:
        if self.deleted:
            raise ProductIsDeleted(f"product {self.id} was deleted")

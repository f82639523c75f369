"""Ports: the small abstract interfaces the application needs, implemented by adapters (and fakes)."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Self

from fitshop_common.events import Envelope
from orders.domain.money import Money
from orders.domain.order import Order, Payment
from orders.domain.product import Product

# --- payment provider --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    """One payment for one order; the order id is the idempotency key, so repeating it is safe."""

    order_id: str
    amount: Money
    card_number: str
    description: str


@dataclass(frozen=True, slots=True)
class Approved:
    payment: Payment


@dataclass(frozen=True, slots=True)
class Declined:
    payment: Payment


@dataclass(frozen=True, slots=True)
class Unavailable:
    """The provider could not answer. `outcome_unknown`: it may have charged (e.g. a timeout)."""

    reason: str
    retry_after: int
    outcome_unknown: bool = False


@dataclass(frozen=True, slots=True)
class NotFound:
    """The provider has no payment under that key or id."""


@dataclass(frozen=True, slots=True)
class Refunded:
    payment: Payment


@dataclass(frozen=True, slots=True)
class RefundRefused:
    reason: str


ChargeOutcome = Approved | Declined | Unavailable
LookupOutcome = Approved | Declined | Refunded | NotFound | Unavailable
RefundOutcome = Refunded | RefundRefused | Unavailable


class PaymentGateway(abc.ABC):
    """The card payment provider (a third party), as the application sees it."""

    @abc.abstractmethod
    async def charge(self, request: ChargeRequest) -> ChargeOutcome:
        """Authorize and capture; never raises for provider trouble (answers Unavailable)."""

    @abc.abstractmethod
    async def find(self, idempotency_key: str) -> LookupOutcome:
        """The payment made under this key, if any (how unknown outcomes are settled)."""

    @abc.abstractmethod
    async def refund(self, payment_id: str, reason: str | None) -> RefundOutcome:
        """Cancel a captured payment; repeating it is harmless."""


# --- storage -----------------------------------------------------------------------------------


class KeyClaim(StrEnum):
    NEW = "NEW"  # the key is ours now, for this order
    SAME_REQUEST = "SAME_REQUEST"  # seen before with the same body: replay its order
    OTHER_REQUEST = "OTHER_REQUEST"  # seen before with another body: refuse


@dataclass(frozen=True, slots=True)
class KeyClaimResult:
    claim: KeyClaim
    order_id: str


@dataclass(frozen=True, slots=True)
class Page:
    orders: list[Order]
    next_after: tuple[datetime, str] | None


class OrderRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, order: Order) -> None: ...

    @abc.abstractmethod
    async def get(self, order_id: str, *, lock: bool = False,
                  skip_locked: bool = False) -> Order | None:
        """`lock` holds the row until the unit of work ends; `skip_locked` answers None if busy."""

    @abc.abstractmethod
    async def save(self, order: Order, *, expected_version: int | None = None) -> bool:
        """Persist the order's state and payment record; answers whether it was written.

        Either the row is locked by `get(lock=True)`, or `expected_version` makes the write
        optimistic: it happens only if the stored order still has that version.
        """

    @abc.abstractmethod
    async def list_for_customer(self, customer_id: str, limit: int,
                                after: tuple[datetime, str] | None) -> Page:
        """Newest first; `after` is the last (created_at, id) of the previous page."""

    @abc.abstractmethod
    async def awaiting_payment(self, pending_before: datetime, limit: int) -> list[str]:
        """Ids of orders whose payment outcome is open: unknown after a failed call, or pending
        since before `pending_before` (younger ones may still be in a request). Oldest first."""


class ProductReplica(abc.ABC):
    @abc.abstractmethod
    async def get_many(self, product_ids: list[str]) -> dict[str, Product]: ...

    @abc.abstractmethod
    async def put_if_newer(self, product: Product) -> bool:
        """Store `product` unless the replica already holds the same or a newer version."""


class IdempotencyKeys(abc.ABC):
    @abc.abstractmethod
    async def claim(self, customer_id: str, key: str, fingerprint: str,
                    order_id: str) -> KeyClaimResult:
        """Bind `key` to `order_id` unless this customer used it before (then answer the earlier order)."""


class RefundsDue(abc.ABC):
    """Approved payments that no order can take: refunded, retried until the provider confirms."""

    @abc.abstractmethod
    async def add(self, order_id: str, payment: Payment) -> None: ...

    @abc.abstractmethod
    async def pending(self, limit: int) -> list[Payment]: ...

    @abc.abstractmethod
    async def done(self, payment_id: str) -> None: ...


class StorageUnavailable(Exception):
    """The database cannot be reached right now (adapters translate their driver's errors)."""


class UnitOfWork(abc.ABC):
    """One transaction: commit writes state and queued events together; leaving without commit rolls back."""

    orders: OrderRepository
    products: ProductReplica
    idempotency: IdempotencyKeys
    refunds_due: RefundsDue

    @abc.abstractmethod
    async def __aenter__(self) -> Self: ...

    @abc.abstractmethod
    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...

    @abc.abstractmethod
    def publish(self, *events: Envelope) -> None:
        """Queue events for the outbox of this transaction."""

    @abc.abstractmethod
    async def claim_event(self, consumer: str, event_id: str) -> bool:
        """True the first time `consumer` handles `event_id` (recorded in this transaction)."""

    @abc.abstractmethod
    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
Clock = Callable[[], datetime]

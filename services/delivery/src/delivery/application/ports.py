"""The ports the delivery use cases need: repositories, a unit of work, the seller's queue."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from delivery.domain.delivery import Delivery
from delivery.domain.values import DeliveryStatus
from fitshop_common.events import Envelope


class DeliveryRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, delivery: Delivery) -> None: ...

    @abc.abstractmethod
    async def get(self, delivery_id: UUID, *, for_update: bool = False) -> Delivery | None: ...

    @abc.abstractmethod
    async def get_by_order(self, order_id: UUID, *,
                           for_update: bool = False) -> Delivery | None: ...

    @abc.abstractmethod
    async def save(self, delivery: Delivery) -> None: ...


@dataclass(frozen=True)
class CancelledOrder:
    """A tombstone: the order was cancelled before its delivery was requested."""

    order_id: UUID
    customer_id: str
    reason: str
    cancelled_at: datetime


class CancelledOrders(abc.ABC):
    @abc.abstractmethod
    async def add(self, tombstone: CancelledOrder) -> None: ...

    @abc.abstractmethod
    async def get(self, order_id: UUID) -> CancelledOrder | None: ...

    @abc.abstractmethod
    async def note_late_placement(self, order_id: UUID, at: datetime) -> None:
        """Record that OrderPlaced arrived after the cancellation (and was ignored)."""


class UnitOfWork(abc.ABC):
    """One transaction: changes, the consumed event's inbox row and the outbox commit together."""

    deliveries: DeliveryRepository
    cancelled_orders: CancelledOrders

    @abc.abstractmethod
    async def __aenter__(self) -> Self: ...

    @abc.abstractmethod
    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...

    @abc.abstractmethod
    async def claim(self, consumer: str, event_id: str) -> bool:
        """True the first time `consumer` sees `event_id` (recorded with this transaction)."""

    @abc.abstractmethod
    async def lock_order(self, order_id: UUID) -> None:
        """Serialise work on one order until commit (placed and cancelled may race)."""

    @abc.abstractmethod
    def publish(self, *events: Envelope) -> None: ...

    @abc.abstractmethod
    async def commit(self) -> None: ...


@dataclass(frozen=True)
class QueuePage:
    items: list[Delivery]
    next_cursor: str | None


class InvalidCursor(ValueError):
    """The cursor was not one this service handed out."""


class DeliveryQueue(abc.ABC):
    """The seller's queue, read without the domain: oldest first, optionally by status."""

    @abc.abstractmethod
    async def page(self, status: DeliveryStatus | None, limit: int,
                   cursor: str | None) -> QueuePage:
        """Raises InvalidCursor for a cursor it did not issue."""

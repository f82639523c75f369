"""In-memory fakes of the delivery service's own ports (never of drivers)."""

from __future__ import annotations

import copy
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from delivery.application.ports import (
    CancelledOrder,
    CancelledOrders,
    DeliveryQueue,
    DeliveryRepository,
    InvalidCursor,
    QueuePage,
    UnitOfWork,
)
from delivery.domain.delivery import Delivery
from delivery.domain.values import DeliveryStatus
from fitshop_common.events import Envelope


class Store:
    """What the fake database holds; shared by every unit of work of one test."""

    def __init__(self) -> None:
        self.deliveries: dict[UUID, Delivery] = {}
        self.tombstones: dict[UUID, CancelledOrder] = {}
        self.late_placements: dict[UUID, datetime] = {}
        self.inbox: set[tuple[str, str]] = set()
        self.outbox: list[Envelope] = []


class FakeDeliveries(DeliveryRepository):
    def __init__(self, staged: dict[UUID, Delivery]) -> None:
        self._staged = staged

    async def add(self, delivery: Delivery) -> None:
        assert all(d.order_id != delivery.order_id for d in self._staged.values()), "unique order"
        self._staged[delivery.id] = _persisted(delivery)

    async def get(self, delivery_id: UUID, *, for_update: bool = False) -> Delivery | None:
        found = self._staged.get(delivery_id)
        return copy.deepcopy(found) if found else None

    async def get_by_order(self, order_id: UUID, *,
                           for_update: bool = False) -> Delivery | None:
        found = next((d for d in self._staged.values() if d.order_id == order_id), None)
        return copy.deepcopy(found) if found else None

    async def save(self, delivery: Delivery) -> None:
        self._staged[delivery.id] = _persisted(delivery)


def _persisted(delivery: Delivery) -> Delivery:
    """What a database keeps: the state, not the events recorded in memory."""
    kept = copy.deepcopy(delivery)
    kept.events.clear()
    return kept


class FakeCancelledOrders(CancelledOrders):
    def __init__(self, staged: dict[UUID, CancelledOrder], late: dict[UUID, datetime]) -> None:
        self._staged = staged
        self._late = late

    async def add(self, tombstone: CancelledOrder) -> None:
        self._staged.setdefault(tombstone.order_id, tombstone)

    async def get(self, order_id: UUID) -> CancelledOrder | None:
        return self._staged.get(order_id)

    async def note_late_placement(self, order_id: UUID, at: datetime) -> None:
        self._late.setdefault(order_id, at)


class FakeUnitOfWork(UnitOfWork):
    """Stages changes in copies and applies them to the Store only on commit."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def __aenter__(self) -> Self:
        self._deliveries = copy.deepcopy(self._store.deliveries)
        self._tombstones = dict(self._store.tombstones)
        self._late = dict(self._store.late_placements)
        self._inbox: set[tuple[str, str]] = set()
        self._events: list[Envelope] = []
        self.deliveries = FakeDeliveries(self._deliveries)
        self.cancelled_orders = FakeCancelledOrders(self._tombstones, self._late)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        pass  # not committed = nothing reaches the store

    async def claim(self, consumer: str, event_id: str) -> bool:
        key = (consumer, event_id)
        if key in self._store.inbox or key in self._inbox:
            return False
        self._inbox.add(key)
        return True

    async def lock_order(self, order_id: UUID) -> None:
        pass

    def publish(self, *events: Envelope) -> None:
        self._events.extend(events)

    async def commit(self) -> None:
        self._store.deliveries = self._deliveries
        self._store.tombstones = self._tombstones
        self._store.late_placements = self._late
        self._store.inbox |= self._inbox
        self._store.outbox.extend(self._events)


class FakeQueue(DeliveryQueue):
    def __init__(self, store: Store) -> None:
        self._store = store

    async def page(self, status: DeliveryStatus | None, limit: int,
                   cursor: str | None) -> QueuePage:
        items = sorted((d for d in self._store.deliveries.values()
                        if status is None or d.status is status),
                       key=lambda d: (d.created_at, str(d.id)))
        start = 0
        if cursor is not None:
            ids = [str(d.id) for d in items]
            if cursor not in ids:
                raise InvalidCursor("unknown cursor")
            start = ids.index(cursor) + 1
        page = items[start:start + limit]
        more = start + limit < len(items)
        return QueuePage(page, str(page[-1].id) if more and page else None)

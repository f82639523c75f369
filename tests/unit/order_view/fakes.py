"""In-memory fakes of order-view's own ports (never of Redis or NATS drivers)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fitshop_common.events import Envelope
from order_view.application.ports import (
    EventLog,
    Keyspaces,
    StoredView,
    Subscription,
    UpdateFeed,
    ViewReader,
    ViewStore,
)
from order_view.domain.view import DeliveryPart, OrderPart, supersedes


class FakeViewStore(ViewStore):
    """Same contract as the Redis store: once per event id, never an older version."""

    def __init__(self) -> None:
        self.views: dict[str, StoredView] = {}
        self.seen: set[str] = set()
        self.changes: list[StoredView] = []

    async def apply_order(self, event_id: str, part: OrderPart) -> bool:
        if not self._first(event_id):
            return False
        stored = self.views.get(part.order_id, StoredView())
        if not supersedes(part.version, stored.order.version if stored.order else None):
            return False
        return self._write(part.order_id, StoredView(order=part, delivery=stored.delivery))

    async def apply_delivery(self, event_id: str, part: DeliveryPart) -> bool:
        if not self._first(event_id):
            return False
        stored = self.views.get(part.order_id, StoredView())
        if not supersedes(part.version, stored.delivery.version if stored.delivery else None):
            return False
        return self._write(part.order_id, StoredView(order=stored.order, delivery=part))

    def _first(self, event_id: str) -> bool:
        if event_id in self.seen:
            return False
        self.seen.add(event_id)
        return True

    def _write(self, order_id: str, view: StoredView) -> bool:
        self.views[order_id] = view
        self.changes.append(view)
        return True


class FakeViewReader(ViewReader):
    """Reads a FakeViewStore; pages by position (good enough for the use-case rules)."""

    def __init__(self, store: FakeViewStore) -> None:
        self._store = store

    async def get(self, order_id: str) -> StoredView | None:
        return self._store.views.get(order_id)

    async def page(self, customer_id: str, limit: int,
                   cursor: str | None) -> tuple[list[StoredView], str | None]:
        mine = sorted((v for v in self._store.views.values()
                       if v.order and v.order.customer_id == customer_id),
                      key=lambda v: v.order.placed_at or "" if v.order else "", reverse=True)
        start = int(cursor or 0)
        more = start + limit < len(mine)
        return mine[start:start + limit], str(start + limit) if more else None


class _QueueSubscription(Subscription):
    def __init__(self, queue: asyncio.Queue[StoredView]) -> None:
        self._queue = queue

    async def next(self, within: float) -> StoredView | None:
        try:
            return await asyncio.wait_for(self._queue.get(), within)
        except TimeoutError:
            return None


class FakeFeed(UpdateFeed):
    def __init__(self) -> None:
        self.subscribers: dict[str, list[asyncio.Queue[StoredView]]] = defaultdict(list)

    def publish(self, customer_id: str, view: StoredView) -> None:
        for queue in self.subscribers[customer_id]:
            queue.put_nowait(view)

    @asynccontextmanager
    async def subscribe(self, customer_id: str) -> AsyncIterator[Subscription]:
        queue: asyncio.Queue[StoredView] = asyncio.Queue()
        self.subscribers[customer_id].append(queue)
        try:
            yield _QueueSubscription(queue)
        finally:
            self.subscribers[customer_id].remove(queue)


class FakeKeyspaces(Keyspaces):
    """Generations in memory, with the same pointer rules as the Redis adapter."""

    def __init__(self) -> None:
        self.current = "v1"
        self.building: str | None = None
        self.stores: dict[str, FakeViewStore] = {"v1": FakeViewStore()}
        self.generation = 1
        self.dropped: list[str] = []
        self.lease_lost = False
        self.log: list[str] = []

    async def begin_build(self) -> str:
        self.generation += 1
        name = f"v{self.generation}"
        self.building = name
        self.stores[name] = FakeViewStore()
        self.log.append(f"begin {name}")
        return name

    async def keep_building(self, name: str) -> None:
        if self.lease_lost:
            raise RuntimeError("lease lost")

    async def switch_to(self, name: str) -> str | None:
        if self.building != name or self.lease_lost:
            raise RuntimeError("lease lost")
        previous, self.current, self.building = self.current, name, None
        self.log.append(f"switch {previous}->{name}")
        return previous

    async def abandon(self, name: str) -> None:
        if self.building == name:
            self.building = None
        self.log.append(f"abandon {name}")

    async def drop(self, name: str) -> int:
        assert name not in (self.current, self.building), "dropping a keyspace in use"
        dropped = len(self.stores.pop(name).views)
        self.dropped.append(name)
        self.log.append(f"drop {name}")
        return dropped

    async def leftovers(self) -> list[str]:
        return sorted(set(self.stores) - {self.current, self.building or ""})

    def store(self, name: str) -> ViewStore:
        return self.stores[name]


class FakeEventLog(EventLog):
    def __init__(self, streams: dict[str, list[Envelope]]) -> None:
        self.streams = streams
        self.fail_after: int | None = None

    async def replay(self, context: str) -> AsyncIterator[Envelope]:
        for n, event in enumerate(list(self.streams.get(context, []))):
            if self.fail_after is not None and n >= self.fail_after:
                raise ConnectionError("broker went away mid-replay")
            yield event
            await asyncio.sleep(0)

"""The small abstract ports the use cases need; Redis and JetStream adapters implement them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import msgspec

from fitshop_common.events import Envelope
from order_view.domain.view import DeliveryPart, OrderPart


class StoredView(msgspec.Struct, frozen=True, kw_only=True):
    """The two parts of one order's view as stored; either may still be missing."""

    order: OrderPart | None = None
    delivery: DeliveryPart | None = None


class ViewStore(ABC):
    """Write side: applies a part at most once per event id and never to an older version."""

    @abstractmethod
    async def apply_order(self, event_id: str, part: OrderPart) -> bool:
        """True when the view changed; False for a duplicate or stale event."""

    @abstractmethod
    async def apply_delivery(self, event_id: str, part: DeliveryPart) -> bool:
        """True when the view changed; False for a duplicate or stale event."""


class InvalidCursor(ValueError):
    """A `cursor` that this service did not hand out."""


class ViewReader(ABC):
    """Read side of the live keyspace."""

    @abstractmethod
    async def get(self, order_id: str) -> StoredView | None: ...

    @abstractmethod
    async def page(
        self, customer_id: str, limit: int, cursor: str | None
    ) -> tuple[list[StoredView], str | None]:
        """A customer's views newest first, and the cursor of the next page (None at the end)."""


class Subscription(ABC):
    @abstractmethod
    async def next(self, within: float) -> StoredView | None:
        """The next applied change, or None when `within` seconds passed without one."""


class UpdateFeed(ABC):
    """Changes to a customer's views as they are applied (best effort, live only)."""

    @abstractmethod
    def subscribe(self, customer_id: str) -> AbstractAsyncContextManager[Subscription]:
        """Subscribed on enter; unsubscribed on exit, also when the caller is cancelled."""


class Keyspaces(ABC):
    """Generations of the read model: readers use the current one; a rebuild fills a new one."""

    @abstractmethod
    async def begin_build(self) -> str:
        """Name a fresh keyspace and announce it, so live writes also reach it from now on."""

    @abstractmethod
    async def keep_building(self, name: str) -> None:
        """Renew the announcement (it lapses if the rebuild dies, so live writes stop feeding it)."""

    @abstractmethod
    async def switch_to(self, name: str) -> str | None:
        """Make `name` current for every reader at once; answer the previous current keyspace."""

    @abstractmethod
    async def abandon(self, name: str) -> None:
        """Withdraw a build that failed (readers never saw it)."""

    @abstractmethod
    async def drop(self, name: str) -> int:
        """Delete a keyspace that no reader uses any more; answer how many keys went."""

    @abstractmethod
    async def leftovers(self) -> list[str]:
        """Keyspaces neither current nor being built (left behind by a rebuild that crashed)."""

    @abstractmethod
    def store(self, name: str) -> ViewStore:
        """A store writing only to `name`, publishing nothing (replays are not news)."""


class EventLog(ABC):
    """The event streams this view is built from."""

    @abstractmethod
    def replay(self, context: str) -> AsyncIterator[Envelope]:
        """Every event of `context`'s stream from the first to the last one stored when called."""

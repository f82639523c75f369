"""The customer's queries: one view, a page of views, and a live feed of changes — own orders only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import msgspec

from order_view.application.ports import StoredView, UpdateFeed, ViewReader
from order_view.domain.view import OrderStatusView, compose

STOP_CHECK_SECONDS = 0.5


class Page(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a list (API.md "Lists")."""

    items: list[OrderStatusView]
    next_cursor: str | None


class MyOrders:
    """Reads bypass the domain's write rules but share its composition of a view."""

    def __init__(self, reader: ViewReader, feed: UpdateFeed) -> None:
        self._reader = reader
        self._feed = feed

    async def one(self, customer_id: str, order_id: str) -> OrderStatusView | None:
        """The view of `order_id` if `customer_id` placed it (someone else's looks like no order)."""
        stored = await self._reader.get(order_id)
        return _owned_view(stored, customer_id) if stored is not None else None

    async def page(self, customer_id: str, limit: int, cursor: str | None) -> Page:
        """The customer's views newest first (by placing time)."""
        stored, next_cursor = await self._reader.page(customer_id, limit, cursor)
        items = [view for s in stored if (view := _owned_view(s, customer_id)) is not None]
        return Page(items=items, next_cursor=next_cursor)

    async def watch(
        self, customer_id: str, heartbeat_seconds: float,
        stopping: Callable[[], bool] = lambda: False,
    ) -> AsyncIterator[OrderStatusView | None]:
        """Each change to the customer's views as it is applied; None when it is time for a heartbeat.

        The first item is a None right after subscribing, so a client knows it will miss nothing
        from then on. Ends soon after `stopping()` turns true, so a server can drain.
        """
        loop = asyncio.get_running_loop()
        async with self._feed.subscribe(customer_id) as subscription:
            yield None
            quiet_since = loop.time()
            while not stopping():
                # Wake at least every STOP_CHECK_SECONDS to notice `stopping` in time.
                stored = await subscription.next(min(heartbeat_seconds, STOP_CHECK_SECONDS))
                if stored is None:
                    if loop.time() - quiet_since >= heartbeat_seconds:
                        quiet_since = loop.time()
                        yield None
                    continue
                view = _owned_view(stored, customer_id)
                if view is not None:
                    quiet_since = loop.time()
                    yield view


def _owned_view(stored: StoredView, customer_id: str) -> OrderStatusView | None:
    if stored.order is None or stored.order.customer_id != customer_id:
        return None
    return compose(stored.order, stored.delivery)

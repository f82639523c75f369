"""The customer's queries: own orders only, pages composed from both parts, a live feed."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from order_view.application.my_orders import MyOrders
from order_view.application.ports import StoredView
from order_view.application.projection import Projection, delivery_part, order_part
from order_view.domain.view import ViewStatus
from tests.contract.order_view.events import at, delivery, order_placed
from tests.unit.order_view.fakes import FakeFeed, FakeViewReader, FakeViewStore


async def test_another_customer_s_order_looks_like_no_order() -> None:
    store = FakeViewStore()
    order_id = str(uuid.uuid4())
    await Projection(store).apply(order_placed(order_id, "alice"))
    my_orders = MyOrders(FakeViewReader(store), FakeFeed())
    assert await my_orders.one("bob", order_id) is None
    assert await my_orders.one("alice", order_id) is not None


async def test_a_page_lists_only_the_customer_s_orders_newest_first() -> None:
    store = FakeViewStore()
    projection = Projection(store)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for n, order_id in enumerate(ids):
        await projection.apply(order_placed(order_id, "alice", placed_at=at(n)))
    await projection.apply(order_placed(str(uuid.uuid4()), "bob"))
    page = await MyOrders(FakeViewReader(store), FakeFeed()).page("alice", 2, None)
    assert [v.order_id for v in page.items] == [ids[2], ids[1]]
    assert page.next_cursor is not None


async def test_watching_says_subscribed_first_then_passes_on_the_customer_s_changes() -> None:
    feed = FakeFeed()
    my_orders = MyOrders(FakeViewReader(FakeViewStore()), feed)
    order_id = str(uuid.uuid4())
    updates = my_orders.watch("alice", heartbeat_seconds=5)
    assert await anext(updates) is None  # subscribed
    feed.publish("alice", StoredView(order=order_part(order_placed(order_id)),
                                     delivery=delivery_part(delivery("started", order_id, version=2))))
    view = await anext(updates)
    assert view is not None and view.status == ViewStatus.PREPARING
    await updates.aclose()
    assert feed.subscribers["alice"] == []  # unsubscribed


async def test_watching_yields_a_heartbeat_tick_when_nothing_happens() -> None:
    feed = FakeFeed()
    updates = MyOrders(FakeViewReader(FakeViewStore()), feed).watch("alice", heartbeat_seconds=0.05)
    assert await anext(updates) is None
    assert await asyncio.wait_for(anext(updates), 1) is None  # a heartbeat, not a hang
    await updates.aclose()


async def test_watching_skips_delivery_only_news_and_other_customers_orders() -> None:
    feed = FakeFeed()
    updates = MyOrders(FakeViewReader(FakeViewStore()), feed).watch("alice", heartbeat_seconds=5)
    await anext(updates)
    order_id = str(uuid.uuid4())
    feed.publish("alice", StoredView(delivery=delivery_part(delivery("requested", order_id, version=1))))
    feed.publish("alice", StoredView(order=order_part(order_placed(order_id, "mallory"))))
    feed.publish("alice", StoredView(order=order_part(order_placed(order_id, "alice"))))
    view = await asyncio.wait_for(anext(updates), 1)
    assert view is not None and view.order_id == order_id
    await updates.aclose()


async def test_watching_ends_soon_after_a_stop_is_requested() -> None:
    stop = False
    updates = MyOrders(FakeViewReader(FakeViewStore()), FakeFeed()).watch(
        "alice", heartbeat_seconds=60, stopping=lambda: stop)
    assert await anext(updates) is None
    pending = asyncio.ensure_future(anext(updates))
    await asyncio.sleep(0.05)
    stop = True
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 2)  # well before the 60 s heartbeat

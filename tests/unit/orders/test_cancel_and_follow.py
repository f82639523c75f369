"""CancelOrder, delivery news and the product replica, with fakes of the ports."""

from __future__ import annotations

import pytest

from fitshop_common.events import assert_conforms
from orders.application.results import (
    Cancelled,
    CancelRefused,
    OrderNotFound,
    Placed,
    RefundUnavailable,
)
from orders.application.service import UnknownOrder, Viewer
from orders.domain.commands import CancelOrder, FollowDelivery, ReplicateProduct
from orders.domain.money import Money
from orders.domain.order import CancelDecision, DeliveryStatus, DeliveryUpdate, OrderStatus
from orders.domain.product import Product
from tests.unit.orders.fakes import DUMBBELL_ID, World, make_world
from tests.unit.orders.test_place_order import place


async def placed(world: World, customer: str = "alice") -> str:
    result = await world.service.place_order(place((DUMBBELL_ID, 2), customer=customer))
    assert isinstance(result, Placed)
    return result.order.id


def delivery(order_id: str, status: DeliveryStatus, version: int, event: str) -> FollowDelivery:
    return FollowDelivery(event_id=event, order_id=order_id,
                          delivery_id="d0000000-0000-4000-8000-000000000001", status=status,
                          delivery_version=version)


async def test_cancelling_refunds_the_payment_and_records_order_cancelled() -> None:
    world = make_world()
    order_id = await placed(world)
    result = await world.service.cancel_order(CancelOrder(order_id, "alice", "too heavy"))
    assert isinstance(result, Cancelled)
    assert result.order.status is OrderStatus.CANCELLED
    assert world.gateway.refunds == [result.order.payment.id if result.order.payment else ""]
    cancelled = world.store.outbox[-1]
    assert cancelled.type == "order.cancelled" and cancelled.data["refund"]["status"] == "CANCELLED"
    assert cancelled.data["order_version"] == 3 and cancelled.data["reason"] == "too heavy"
    assert_conforms(cancelled)


async def test_repeating_a_cancel_is_harmless() -> None:
    world = make_world()
    order_id = await placed(world)
    await world.service.cancel_order(CancelOrder(order_id, "alice"))
    again = await world.service.cancel_order(CancelOrder(order_id, "alice"))
    assert isinstance(again, Cancelled)
    assert len(world.gateway.refunds) == 1
    assert [e.type for e in world.store.outbox] == ["order.placed", "order.cancelled"]


async def test_only_the_ordering_customer_can_cancel() -> None:
    world = make_world()
    order_id = await placed(world)
    result = await world.service.cancel_order(CancelOrder(order_id, "bob"))
    assert result == OrderNotFound(order_id)
    assert world.store.orders[order_id].status is OrderStatus.PLACED
    assert world.gateway.refunds == []


async def test_cancelling_a_delivered_order_is_refused_with_the_reason() -> None:
    world = make_world()
    order_id = await placed(world)
    await world.service.follow_delivery(delivery(order_id, DeliveryStatus.DELIVERED, 4, "e-1"))
    result = await world.service.cancel_order(CancelOrder(order_id, "alice"))
    assert isinstance(result, CancelRefused)
    assert result.decision is CancelDecision.REFUSED_DELIVERED
    assert "delivered" in result.reason
    assert world.gateway.refunds == []


async def test_cancelling_while_refunds_are_unavailable_changes_nothing() -> None:
    world = make_world()
    order_id = await placed(world)
    world.gateway.refund_unavailable = True
    result = await world.service.cancel_order(CancelOrder(order_id, "alice"))
    assert isinstance(result, RefundUnavailable) and result.retry_after == 4
    assert world.store.orders[order_id].status is OrderStatus.PLACED
    assert [e.type for e in world.store.outbox] == ["order.placed"]


async def test_delivery_news_moves_the_order_once_per_event_and_never_back() -> None:
    world = make_world()
    order_id = await placed(world)
    follow = world.service.follow_delivery
    assert await follow(delivery(order_id, DeliveryStatus.STARTED, 2, "e-2")) is DeliveryUpdate.APPLIED
    assert await follow(delivery(order_id, DeliveryStatus.IN_TRANSIT, 3, "e-3")) is DeliveryUpdate.APPLIED
    # the same event again, and an older one arriving late
    assert await follow(delivery(order_id, DeliveryStatus.IN_TRANSIT, 3, "e-3")) is DeliveryUpdate.STALE
    assert await follow(delivery(order_id, DeliveryStatus.STARTED, 2, "e-2b")) is DeliveryUpdate.STALE
    assert world.store.orders[order_id].status is OrderStatus.SHIPPING


async def test_delivery_news_about_an_unknown_order_is_reported() -> None:
    world = make_world()
    with pytest.raises(UnknownOrder):
        await world.service.follow_delivery(delivery(
            "0b5e7a52-0000-4000-8000-00000000dead", DeliveryStatus.STARTED, 1, "e-9"))


async def test_the_replica_keeps_the_newest_product_version() -> None:
    world = make_world()
    newer = Product(DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(31_000), 7, version=5)
    older = Product(DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(99_000), 1, version=4)
    assert await world.service.replicate_product(ReplicateProduct("e-1", newer))
    assert not await world.service.replicate_product(ReplicateProduct("e-2", older))
    assert not await world.service.replicate_product(ReplicateProduct("e-1", newer))  # redelivery
    assert world.store.products[DUMBBELL_ID].price == Money(31_000)


async def test_a_customer_sees_only_their_orders_and_a_seller_sees_all() -> None:
    world = make_world()
    order_id = await placed(world)
    assert await world.service.get_order(order_id, Viewer("alice")) is not None
    assert await world.service.get_order(order_id, Viewer("bob")) is None
    assert await world.service.get_order(order_id, Viewer("seller-1", is_seller=True)) is not None


async def test_my_orders_come_newest_first_page_by_page() -> None:
    world = make_world()
    ids = []
    for _ in range(5):
        ids.append(await placed(world))
        world.clock.advance(1)
    await placed(world, customer="bob")
    first = await world.service.list_orders("alice", 2)
    second = await world.service.list_orders("alice", 2, first.next_after)
    third = await world.service.list_orders("alice", 2, second.next_after)
    seen = [o.id for page in (first, second, third) for o in page.orders]
    assert seen == list(reversed(ids))
    assert third.next_after is None

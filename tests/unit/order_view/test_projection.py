"""Projecting events: each applied once, never backwards, in any arrival order, poison refused."""

from __future__ import annotations

import random
import uuid

import pytest

from fitshop_common.events import Envelope
from fitshop_common.messaging import Poison
from order_view.application.my_orders import MyOrders
from order_view.application.projection import Projection
from order_view.domain.view import DeliveryStatus, OrderStatusView, PaymentStatus, ViewStatus
from tests.contract.order_view.events import (
    at,
    cancelled_story,
    delivered_story,
    delivery,
    order_cancelled,
    order_placed,
)
from tests.unit.order_view.fakes import FakeFeed, FakeViewReader, FakeViewStore


@pytest.fixture
def store() -> FakeViewStore:
    return FakeViewStore()


async def project(store: FakeViewStore, *events: Envelope) -> None:
    projection = Projection(store)
    for event in events:
        await projection.apply(event)


async def view_of(store: FakeViewStore, order_id: str, customer: str = "alice") -> OrderStatusView:
    view = await MyOrders(FakeViewReader(store), FakeFeed()).one(customer, order_id)
    assert view is not None
    return view


async def test_an_order_placed_event_makes_a_placed_view_with_approved_payment(
    store: FakeViewStore,
) -> None:
    order_id = str(uuid.uuid4())
    await project(store, order_placed(order_id))
    view = await view_of(store, order_id)
    assert (view.status, view.payment_status, view.delivery_status) == (
        ViewStatus.PLACED, PaymentStatus.APPROVED, None)
    assert view.total.amount == 68000 and [line.name for line in view.lines] == [
        "DUMBBELL-10KG", "YOGA-MAT-6MM"]


async def test_the_delivered_story_ends_delivered(store: FakeViewStore) -> None:
    order_id = str(uuid.uuid4())
    await project(store, *delivered_story(order_id))
    view = await view_of(store, order_id)
    assert (view.status, view.delivery_status) == (ViewStatus.DELIVERED, DeliveryStatus.DELIVERED)


async def test_the_cancelled_story_ends_cancelled_and_refunded(store: FakeViewStore) -> None:
    order_id = str(uuid.uuid4())
    await project(store, *cancelled_story(order_id))
    view = await view_of(store, order_id)
    assert (view.status, view.payment_status, view.delivery_status) == (
        ViewStatus.CANCELLED, PaymentStatus.REFUNDED, DeliveryStatus.CANCELLED)


async def test_the_same_event_twice_changes_the_view_once(store: FakeViewStore) -> None:
    order_id = str(uuid.uuid4())
    started = delivery("started", order_id, version=2)
    projection = Projection(store)
    await projection.apply(order_placed(order_id))
    assert await projection.apply(started) == "applied"
    assert await projection.apply(started) == "unchanged"
    assert len(store.changes) == 2


async def test_a_late_older_delivery_event_does_not_move_the_view_back(store: FakeViewStore) -> None:
    order_id = str(uuid.uuid4())
    await project(store, order_placed(order_id), delivery("in_transit", order_id, version=3))
    assert await Projection(store).apply(delivery("started", order_id, version=2)) == "unchanged"
    assert (await view_of(store, order_id)).status == ViewStatus.SHIPPING


async def test_a_late_order_placed_does_not_undo_a_cancellation(store: FakeViewStore) -> None:
    order_id = str(uuid.uuid4())
    await project(store, order_cancelled(order_id, version=2), order_placed(order_id, version=1))
    view = await view_of(store, order_id)
    assert (view.status, view.payment_status) == (ViewStatus.CANCELLED, PaymentStatus.REFUNDED)


async def test_delivery_news_that_overtakes_its_order_is_kept_and_merged_when_the_order_arrives(
    store: FakeViewStore,
) -> None:
    order_id = str(uuid.uuid4())
    await project(store, delivery("requested", order_id, version=1),
                  delivery("started", order_id, version=2))
    assert await MyOrders(FakeViewReader(store), FakeFeed()).one("alice", order_id) is None

    await project(store, order_placed(order_id))
    view = await view_of(store, order_id)
    assert (view.status, view.delivery_status) == (ViewStatus.PREPARING, DeliveryStatus.STARTED)


@pytest.mark.parametrize("seed", range(25))
async def test_any_arrival_order_with_redeliveries_ends_in_the_in_order_view(seed: int) -> None:
    order_id = str(uuid.uuid4())
    story = delivered_story(order_id) if seed % 2 else cancelled_story(order_id)
    in_order = FakeViewStore()
    await project(in_order, *story)

    rng = random.Random(seed)
    shuffled = story + rng.sample(story, k=3)  # some events delivered twice
    rng.shuffle(shuffled)
    out_of_order = FakeViewStore()
    await project(out_of_order, *shuffled)

    assert await view_of(out_of_order, order_id) == await view_of(in_order, order_id)


async def test_a_malformed_event_is_poison_and_changes_nothing(store: FakeViewStore) -> None:
    order_id = str(uuid.uuid4())
    good = order_placed(order_id)
    broken = Envelope.new("order.placed", {**good.data, "order_version": "one"}, producer="orders",
                          correlation_id=order_id)
    with pytest.raises(Poison, match="breaks its contract"):
        await Projection(store).apply(broken)
    assert store.views == {}


async def test_an_unknown_event_type_is_poison(store: FakeViewStore) -> None:
    event = Envelope.new("order.teleported", {}, producer="orders", correlation_id="x")
    with pytest.raises(Poison, match="does not project"):
        await Projection(store).apply(event)


async def test_an_order_cancelled_that_overtakes_its_order_placed_still_shows_the_order(
    store: FakeViewStore,
) -> None:
    order_id = str(uuid.uuid4())
    await project(store, order_cancelled(order_id, version=2, cancelled_at=at(60)))
    view = await view_of(store, order_id)
    assert view.status == ViewStatus.CANCELLED and view.updated_at == at(60)

"""The delivery use cases over fakes of our ports: idempotent consumers, tombstones, the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from delivery.application.service import DeliveryService, Ignored, Missing
from delivery.domain.commands import (
    CancelDelivery,
    ChangeDeliveryStatus,
    RequestDelivery,
    StartDelivery,
)
from delivery.domain.delivery import Delivery, Refused
from delivery.domain.values import (
    Customer,
    DeliveryStatus,
    Line,
    Locale,
    Money,
    ShippingAddress,
)
from fitshop_common.events import assert_conforms
from tests.unit.delivery.fakes import FakeQueue, FakeUnitOfWork, Store


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def service(store: Store) -> DeliveryService:
    return DeliveryService(lambda: FakeUnitOfWork(store), FakeQueue(store), clock=Clock())


def request(order_id: uuid.UUID | None = None) -> RequestDelivery:
    return RequestDelivery(
        order_id=order_id or uuid.uuid4(),
        customer=Customer("alice", "alice@example.com", Locale.EN),
        lines=(Line(uuid.uuid4(), "DUMBBELL-10KG", Money(35000), 2),),
        shipping_address=ShippingAddress("Alice Kim", "12 Teheran-ro", "Seoul", "06236",
                                         "010-1234-5678"),
    )


def cancel(order_id: uuid.UUID) -> CancelDelivery:
    return CancelDelivery(order_id=order_id, customer_id="alice", reason="changed my mind")


def event_id() -> str:
    return str(uuid.uuid4())


async def test_an_order_placed_creates_one_requested_delivery_and_publishes_delivery_requested(
    service: DeliveryService, store: Store
) -> None:
    cmd = request()
    delivery = await service.request_delivery(cmd, event_id=event_id())
    assert isinstance(delivery, Delivery)
    assert [d.status for d in store.deliveries.values()] == [DeliveryStatus.REQUESTED]
    [event] = store.outbox
    assert_conforms(event)
    assert (event.type, event.correlation_id) == ("delivery.requested", str(cmd.order_id))
    assert event.data["customer_email"] == "alice@example.com"
    assert event.data["locale"] == "en"


async def test_the_same_order_placed_event_twice_creates_nothing_the_second_time(
    service: DeliveryService, store: Store
) -> None:
    cmd, eid = request(), event_id()
    await service.request_delivery(cmd, event_id=eid)
    again = await service.request_delivery(cmd, event_id=eid)
    assert again == Ignored("event already processed")
    assert len(store.deliveries) == 1
    assert len(store.outbox) == 1


async def test_a_second_order_placed_for_the_same_order_creates_no_second_delivery(
    service: DeliveryService, store: Store
) -> None:
    cmd = request()
    await service.request_delivery(cmd, event_id=event_id())
    again = await service.request_delivery(cmd, event_id=event_id())
    assert again == Ignored("the order already has a delivery")
    assert len(store.deliveries) == 1
    assert len(store.outbox) == 1


async def test_the_seller_starts_and_advances_a_delivery_with_one_event_per_change(
    service: DeliveryService, store: Store
) -> None:
    created = await service.request_delivery(request(), event_id=event_id())
    assert isinstance(created, Delivery)
    started = await service.start_delivery(StartDelivery(created.id))
    moving = await service.change_status(ChangeDeliveryStatus(created.id, DeliveryStatus.IN_TRANSIT))
    done = await service.change_status(ChangeDeliveryStatus(created.id, DeliveryStatus.DELIVERED))
    assert [getattr(r, "status", None) for r in (started, moving, done)] == [
        DeliveryStatus.STARTED, DeliveryStatus.IN_TRANSIT, DeliveryStatus.DELIVERED]
    for event in store.outbox:
        assert_conforms(event)
    assert [(e.type, e.data["version"]) for e in store.outbox] == [
        ("delivery.requested", 1), ("delivery.started", 2),
        ("delivery.status_changed", 3), ("delivery.status_changed", 4)]
    assert store.outbox[-1].data["previous_status"] == "IN_TRANSIT"
    assert {e.correlation_id for e in store.outbox} == {str(created.order_id)}


async def test_an_invalid_transition_is_refused_and_writes_nothing(
    service: DeliveryService, store: Store
) -> None:
    created = await service.request_delivery(request(), event_id=event_id())
    assert isinstance(created, Delivery)
    outcome = await service.change_status(
        ChangeDeliveryStatus(created.id, DeliveryStatus.DELIVERED))
    assert isinstance(outcome, Refused)
    assert store.deliveries[created.id].status is DeliveryStatus.REQUESTED
    assert len(store.outbox) == 1


async def test_commands_for_an_unknown_delivery_answer_missing(service: DeliveryService) -> None:
    unknown = uuid.uuid4()
    assert await service.start_delivery(StartDelivery(unknown)) == Missing()
    assert await service.change_status(
        ChangeDeliveryStatus(unknown, DeliveryStatus.IN_TRANSIT)) == Missing()
    assert await service.get(unknown) == Missing()


async def test_an_order_cancelled_cancels_the_delivery_and_publishes_delivery_cancelled(
    service: DeliveryService, store: Store
) -> None:
    cmd = request()
    created = await service.request_delivery(cmd, event_id=event_id())
    assert isinstance(created, Delivery)
    await service.start_delivery(StartDelivery(created.id))
    await service.cancel_delivery(cancel(cmd.order_id), event_id=event_id())
    assert store.deliveries[created.id].status is DeliveryStatus.CANCELLED
    last = store.outbox[-1]
    assert_conforms(last)
    assert (last.type, last.data["previous_status"], last.data["version"]) == (
        "delivery.cancelled", "STARTED", 3)


async def test_an_order_cancelled_after_delivery_changes_nothing_but_records_why(
    service: DeliveryService, store: Store
) -> None:
    cmd = request()
    created = await service.request_delivery(cmd, event_id=event_id())
    assert isinstance(created, Delivery)
    await service.start_delivery(StartDelivery(created.id))
    for status in (DeliveryStatus.IN_TRANSIT, DeliveryStatus.DELIVERED):
        await service.change_status(ChangeDeliveryStatus(created.id, status))
    published = len(store.outbox)
    await service.cancel_delivery(cancel(cmd.order_id), event_id=event_id())
    kept = store.deliveries[created.id]
    assert (kept.status, kept.version) == (DeliveryStatus.DELIVERED, 4)
    assert kept.cancellation_refused_reason is not None
    assert len(store.outbox) == published  # nothing published: the delivery did not change


async def test_an_order_cancelled_before_its_order_placed_leaves_a_tombstone_and_no_delivery(
    service: DeliveryService, store: Store
) -> None:
    cmd = request()
    await service.cancel_delivery(cancel(cmd.order_id), event_id=event_id())
    late = await service.request_delivery(cmd, event_id=event_id())
    assert isinstance(late, Ignored)
    assert store.deliveries == {}
    assert store.outbox == []
    assert cmd.order_id in store.tombstones
    assert cmd.order_id in store.late_placements


async def test_the_queue_pages_oldest_first_and_filters_by_status(
    service: DeliveryService,
) -> None:
    created = [await service.request_delivery(request(), event_id=event_id()) for _ in range(5)]
    ids = [d.id for d in created if isinstance(d, Delivery)]
    await service.start_delivery(StartDelivery(ids[1]))
    first = await service.queue(None, 3, None)
    rest = await service.queue(None, 3, first.next_cursor)
    assert [d.id for d in first.items + rest.items] == ids
    assert rest.next_cursor is None
    started = await service.queue(DeliveryStatus.STARTED, 50, None)
    assert [d.id for d in started.items] == [ids[1]]

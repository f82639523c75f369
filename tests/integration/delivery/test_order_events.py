"""OrderPlaced / OrderCancelled from real JetStream into real PostgreSQL, events out through the outbox."""

from __future__ import annotations

import logging
import uuid

import asyncpg
from nats.js import JetStreamContext

from fitshop_common.events import assert_conforms
from fitshop_common.messaging import ensure_stream
from fitshop_common.settings import NatsSettings
from tests.contract.delivery.order_events import (
    order_cancelled,
    order_placed,
    poisoned_order_placed,
)
from tests.integration.delivery.harness import Running, publish, published, seller
from tests.support.tokens import Signer
from tests.support.waiting import eventually


async def deliveries_of(db: asyncpg.Connection, order_id: str) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM deliveries WHERE order_id = $1", uuid.UUID(order_id))


async def status_of(db: asyncpg.Connection, order_id: str) -> str | None:
    value = await db.fetchval("SELECT status FROM deliveries WHERE order_id = $1",
                              uuid.UUID(order_id))
    return str(value) if value is not None else None


async def test_an_order_placed_delivered_twice_creates_exactly_one_requested_delivery(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext
) -> None:
    event = order_placed()
    order_id = event.data["order_id"]
    await publish(js, event)
    # The same event again past the stream's dedup (a redelivery), and a second OrderPlaced
    # (new event id) for the same order: neither may create anything.
    await publish(js, event, msg_id=f"{event.id}-redelivered")
    second = order_placed(order_id)
    await publish(js, second)

    async def all_three_consumed() -> bool:
        return await db.fetchval("SELECT count(*) FROM inbox") == 2

    await eventually(all_three_consumed)

    async def requested_published() -> bool:
        return len(await published(js)) >= 1

    await eventually(requested_published)
    [row] = await deliveries_of(db, order_id)
    assert (row["status"], row["version"], row["customer_email"]) == (
        "REQUESTED", 1, "alice@example.com")
    info = await js.consumer_info("ORDERS", "delivery-orders")
    assert info.num_pending == 0 and info.num_ack_pending == 0
    [requested] = await published(js)
    assert_conforms(requested)
    assert (requested.type, requested.correlation_id) == ("delivery.requested", order_id)
    assert requested.causation_id in {event.id, second.id}  # handled concurrently: either wins
    assert requested.data["delivery_id"] == str(row["id"])


async def test_an_order_cancelled_cancels_the_delivery_and_publishes_delivery_cancelled(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext
) -> None:
    placed = order_placed(locale="en")
    order_id = placed.data["order_id"]
    await publish(js, placed)

    async def requested() -> bool:
        return await status_of(db, order_id) == "REQUESTED"

    await eventually(requested)  # the customer cancels later (both at once: see the race test)
    await publish(js, order_cancelled(order_id, locale="en"))

    async def cancelled() -> bool:
        return await status_of(db, order_id) == "CANCELLED"

    await eventually(cancelled)

    async def both_published() -> bool:
        return len(await published(js)) == 2

    await eventually(both_published)
    requested, cancellation = await published(js)
    for event in (requested, cancellation):
        assert_conforms(event)
    assert cancellation.type == "delivery.cancelled"
    assert cancellation.data["previous_status"] == "REQUESTED"
    assert (cancellation.data["version"], cancellation.data["locale"]) == (2, "en")
    assert cancellation.correlation_id == order_id


async def test_an_order_cancelled_after_delivery_changes_nothing_and_the_seller_sees_why(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext, signer: Signer
) -> None:
    warnings: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = warnings.append  # type: ignore[method-assign]
    logging.getLogger("delivery.application.service").addHandler(handler)
    try:
        placed = order_placed()
        order_id = placed.data["order_id"]
        await publish(js, placed)

        async def requested() -> bool:
            return await status_of(db, order_id) == "REQUESTED"

        await eventually(requested)
        [row] = await deliveries_of(db, order_id)
        path = f"/api/v1/deliveries/{row['id']}"
        headers = seller(signer)
        assert (await delivery.http.post(f"{path}/start", headers=headers)).status_code == 200
        for status in ("IN_TRANSIT", "DELIVERED"):
            answer = await delivery.http.post(f"{path}/status", json={"status": status},
                                              headers=headers)
            assert answer.status_code == 200

        await publish(js, order_cancelled(order_id))

        async def consumed() -> bool:
            return await db.fetchval("SELECT count(*) FROM inbox") == 2

        await eventually(consumed)
    finally:
        logging.getLogger("delivery.application.service").removeHandler(handler)

    seen = (await delivery.http.get(path, headers=headers)).json()
    assert (seen["status"], seen["version"]) == ("DELIVERED", 4)
    assert "after its parcel had been delivered" in seen["cancellation_refused_reason"]
    assert any("order.cancelled after delivery" in r.getMessage() for r in warnings)

    async def four_published() -> bool:
        return len(await published(js)) >= 4

    await eventually(four_published)
    assert [e.type for e in await published(js)] == [
        "delivery.requested", "delivery.started", "delivery.status_changed",
        "delivery.status_changed"]  # and no delivery.cancelled


async def test_an_order_cancelled_arriving_before_its_order_placed_is_not_resurrected(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext
) -> None:
    order_id = str(uuid.uuid4())
    await publish(js, order_cancelled(order_id))

    async def cancellation_consumed() -> bool:
        return await db.fetchval("SELECT count(*) FROM inbox") == 1

    # Published together, the consumer may handle both at once in either order; wait so the
    # cancellation is really processed first, as when the placed event arrives late.
    await eventually(cancellation_consumed)
    await publish(js, order_placed(order_id))
    later = order_placed()  # proves the consumer moved past both
    await publish(js, later)

    async def later_requested() -> bool:
        return await status_of(db, later.data["order_id"]) == "REQUESTED"

    await eventually(later_requested)
    assert await deliveries_of(db, order_id) == []
    tombstone = await db.fetchrow("SELECT * FROM cancelled_orders WHERE order_id = $1",
                                  uuid.UUID(order_id))
    assert tombstone is not None and tombstone["late_placement_at"] is not None

    async def one_published() -> bool:
        return len(await published(js)) >= 1

    await eventually(one_published)
    assert [e.correlation_id for e in await published(js)] == [later.data["order_id"]]


async def test_a_poison_order_placed_is_dead_lettered_and_later_events_still_flow(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext
) -> None:
    poison = poisoned_order_placed()
    await js.publish(poison.subject(), poison.encode(), headers={"Nats-Msg-Id": poison.id})
    healthy = order_placed()
    await publish(js, healthy)

    # The service creates the dead-letter stream as its consumer starts; don't race it.
    await ensure_stream(js, "deadletter", NatsSettings())
    dead = await js.pull_subscribe("fitshop.deadletter.delivery-orders", durable="ops",
                                   stream="DEADLETTER")
    [letter] = await dead.fetch(1, timeout=10)

    async def healthy_requested() -> bool:
        return await status_of(db, healthy.data["order_id"]) == "REQUESTED"

    await eventually(healthy_requested)
    assert "breaks its contract" in letter.headers["Fitshop-Dead-Reason"]
    assert letter.headers["Fitshop-Original-Subject"] == "fitshop.orders.order.placed"
    assert poison.id.encode() in letter.data
    assert await deliveries_of(db, poison.data["order_id"]) == []


async def test_placed_and_cancelled_arriving_together_never_leave_an_active_delivery(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext
) -> None:
    # Published back to back, the pairs are handled concurrently and in either order.
    order_ids = [str(uuid.uuid4()) for _ in range(20)]
    for n, order_id in enumerate(order_ids):
        pair = [order_cancelled(order_id), order_placed(order_id)]
        await publish(js, *(pair if n % 2 else reversed(pair)))

    async def all_consumed() -> bool:
        return await db.fetchval("SELECT count(*) FROM inbox") == 2 * len(order_ids)

    await eventually(all_consumed)
    ids = [uuid.UUID(o) for o in order_ids]
    statuses = await db.fetch("SELECT status FROM deliveries WHERE order_id = ANY($1)", ids)
    tombstoned = await db.fetchval(
        "SELECT count(*) FROM cancelled_orders WHERE order_id = ANY($1)", ids)
    assert {r["status"] for r in statuses} <= {"CANCELLED"}
    assert len(statuses) + tombstoned == len(order_ids)  # each order ended one way or the other

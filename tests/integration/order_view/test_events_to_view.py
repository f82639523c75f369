"""Events published to real JetStream end up in the view served over HTTP — once, and never backwards."""

from __future__ import annotations

import asyncio
import random
import uuid

import httpx2
from nats.js import JetStreamContext
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from order_view.application.my_orders import MyOrders
from order_view.application.projection import Projection
from tests.contract.order_view.events import (
    at,
    cancelled_story,
    delivered_story,
    delivery,
    order_placed,
)
from tests.integration.order_view.support import bearer, consumers_idle, publish
from tests.support.tokens import Signer
from tests.support.waiting import eventually
from tests.unit.order_view.fakes import FakeFeed, FakeViewReader, FakeViewStore

Client = httpx2.AsyncClient


async def view_is(client: Client, token: str, order_id: str, **expected: object) -> bool:
    response = await client.get(f"/api/v1/my-orders/{order_id}", headers=bearer(token))
    if response.status_code != 200:
        return False
    body = response.json()
    return all(body.get(k) == v for k, v in expected.items())


async def test_an_order_placed_on_jetstream_shows_up_as_placed(
    client: Client, js: JetStreamContext, signer: Signer,
) -> None:
    order_id = str(uuid.uuid4())
    await publish(js, [order_placed(order_id, "alice", placed_at=at(0))])
    token = signer.token("alice")
    await eventually(lambda: view_is(client, token, order_id, status="PLACED"))
    body = (await client.get(f"/api/v1/my-orders/{order_id}", headers=bearer(token))).json()
    assert body == {
        "order_id": order_id, "status": "PLACED", "payment_status": "APPROVED",
        "delivery_status": None, "total": {"amount": 68000, "currency": "KRW"},
        "lines": [
            {"product_id": body["lines"][0]["product_id"], "name": "DUMBBELL-10KG",
             "unit_price": {"amount": 25000, "currency": "KRW"}, "quantity": 2},
            {"product_id": body["lines"][1]["product_id"], "name": "YOGA-MAT-6MM",
             "unit_price": {"amount": 18000, "currency": "KRW"}, "quantity": 1},
        ],
        "updated_at": at(0),
    }


async def test_the_whole_delivery_story_reaches_delivered(
    client: Client, js: JetStreamContext, signer: Signer,
) -> None:
    order_id = str(uuid.uuid4())
    await publish(js, delivered_story(order_id))
    await eventually(lambda: view_is(client, signer.token("alice"), order_id,
                                     status="DELIVERED", delivery_status="DELIVERED"))


async def test_the_same_event_delivered_twice_changes_nothing(
    client: Client, js: JetStreamContext, signer: Signer, redis: Redis,
) -> None:
    order_id = str(uuid.uuid4())
    token = signer.token("alice")
    await publish(js, [order_placed(order_id)])
    await eventually(lambda: view_is(client, token, order_id, status="PLACED"))
    started = delivery("started", order_id, version=2)
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe("order-view:updates:alice")
    # Twice on the wire: a different message id gets past JetStream's dedup, as a redelivery would.
    await js.publish(started.subject(), started.encode(), headers={"Nats-Msg-Id": started.id})
    await js.publish(started.subject(), started.encode(), headers={"Nats-Msg-Id": f"{started.id}-again"})
    await eventually(lambda: view_is(client, token, order_id, status="PREPARING"))
    await eventually(lambda: consumers_idle(js))
    published = await drain(pubsub, seconds=0.5)
    await pubsub.aclose()
    assert len(published) == 1  # one change, one update pushed
    assert await view_is(client, token, order_id, status="PREPARING", delivery_status="STARTED")


async def drain(pubsub: PubSub, seconds: float) -> list[dict[str, object]]:
    """Every message that arrives within `seconds` (subscribe confirmations left out)."""
    loop = asyncio.get_running_loop()
    deadline, messages = loop.time() + seconds, []
    while (left := deadline - loop.time()) > 0:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
        if message is not None:
            messages.append(message)
    return messages


async def test_events_delivered_out_of_order_end_where_the_in_order_sequence_ends(
    client: Client, js: JetStreamContext, signer: Signer,
) -> None:
    stories = {}
    for n in range(12):
        order_id = str(uuid.uuid4())
        stories[order_id] = delivered_story(order_id) if n % 3 else cancelled_story(order_id)
    expected_store = FakeViewStore()
    for story in stories.values():
        for event in story:
            await Projection(expected_store).apply(event)
    expected = MyOrders(FakeViewReader(expected_store), FakeFeed())

    shuffled = [e for story in stories.values() for e in story]
    random.Random(5).shuffle(shuffled)
    await publish(js, shuffled)

    token = signer.token("alice")
    for order_id in stories:
        want = await expected.one("alice", order_id)
        assert want is not None
        await eventually(lambda order_id=order_id, want=want: view_is(  # type: ignore[misc]
            client, token, order_id, status=want.status.value,
            delivery_status=want.delivery_status.value if want.delivery_status else None,
            payment_status=want.payment_status.value, updated_at=want.updated_at))


async def test_delivery_news_published_before_its_order_is_merged_once_the_order_arrives(
    client: Client, js: JetStreamContext, signer: Signer,
) -> None:
    order_id = str(uuid.uuid4())
    token = signer.token("alice")
    await publish(js, [delivery("requested", order_id, version=1),
                       delivery("started", order_id, version=2)])
    await eventually(lambda: consumers_idle(js))
    assert (await client.get(f"/api/v1/my-orders/{order_id}", headers=bearer(token))).status_code == 404

    await publish(js, [order_placed(order_id)])
    await eventually(lambda: view_is(client, token, order_id, status="PREPARING",
                                     delivery_status="STARTED"))

"""Every consumed event → one in-app notification and one e-mail, over real Redis, NATS and SMTP."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from typing import Any

import pytest
from nats.js import JetStreamContext
from redis.asyncio import Redis

from fitshop_common.events import Envelope
from fitshop_common.messaging import ensure_stream
from fitshop_common.settings import NatsSettings
from tests.contract.delivery.order_events import (
    order_cancelled,
    order_placed,
    poisoned_order_placed,
)
from tests.contract.notification.delivery_events import delivery_event
from tests.integration.delivery.harness import customer, publish, seller
from tests.integration.notification.harness import Running, SmtpSink
from tests.support.tokens import Signer
from tests.support.waiting import eventually

API = "/api/v1/notifications"


def bearer(signer: Signer, sub: str, role: str = "customer") -> dict[str, str]:
    return {"Authorization": f"Bearer {signer.token(sub, [role])}"}


async def inbox(notification: Running, signer: Signer, sub: str = "alice",
                **params: Any) -> dict[str, Any]:
    answer = await notification.http.get(API, params=params, headers=bearer(signer, sub))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def notification_id_of(mail: EmailMessage) -> str:
    return str(mail["Message-ID"]).strip().strip("<>").split("@")[0]


def the_story(order_id: str, locale: str = "ko") -> list[Envelope]:
    """Placed, shipped all the way, and (for the sake of the drill) cancelled events too."""
    return [
        order_placed(order_id, locale=locale),
        delivery_event("delivery.started", "STARTED", order_id=order_id, locale=locale),
        delivery_event("delivery.status_changed", "IN_TRANSIT", order_id=order_id,
                       locale=locale, version=3),
        delivery_event("delivery.status_changed", "DELIVERED", order_id=order_id,
                       locale=locale, version=4),
        order_cancelled(order_id, locale=locale),
        delivery_event("delivery.cancelled", "CANCELLED", order_id=order_id, locale=locale,
                       version=5),
    ]


async def test_each_event_delivered_twice_gives_exactly_one_notification_and_one_email(
    notification: Running, js: JetStreamContext, smtp: SmtpSink, signer: Signer
) -> None:
    order_id = str(uuid.uuid4())
    events = the_story(order_id)
    for event in events:
        await publish(js, event)
        await publish(js, event, msg_id=f"{event.id}-redelivered")  # past the stream's dedup

    async def all_notified_and_mailed() -> bool:
        items = (await inbox(notification, signer))["items"]
        return len(items) >= 6 and len(smtp.received()) >= 6

    await eventually(all_notified_and_mailed)

    async def all_sent() -> bool:
        items = (await inbox(notification, signer))["items"]
        return all(i["email_status"] == "SENT" for i in items)

    await eventually(all_sent)
    for consumer in ("notification-orders", "notification-delivery"):
        info = await js.consumer_info("ORDERS" if "orders" in consumer else "DELIVERY", consumer)
        assert info.num_pending == 0 and info.num_ack_pending == 0
    items = (await inbox(notification, signer))["items"]
    mails = smtp.received()
    assert len(items) == 6 and len(mails) == 6
    assert sorted(i["kind"] for i in items) == [
        "CANCELLATION", "DELIVERY_UPDATE", "DELIVERY_UPDATE", "DELIVERY_UPDATE",
        "DELIVERY_UPDATE", "PURCHASE_RECEIPT"]
    assert {i["order_id"] for i in items} == {order_id}
    assert {i["channel"] for i in items} == {"IN_APP"}
    # One e-mail per notification, each carrying its notification's id and words.
    ids = sorted(notification_id_of(m) for m in mails)
    assert ids == sorted(i["id"] for i in items)
    by_id = {i["id"]: i for i in items}
    for mail in mails:
        item = by_id[notification_id_of(mail)]
        assert mail["Subject"] == item["title"]
        assert mail["To"] == "alice@example.com"
        assert mail.get_content().replace("\r\n", "\n").strip() == item["body"].strip()
    receipt = next(m for m in mails if "결제가 완료" in m["Subject"])
    assert "99,000원" in receipt.get_content() and order_id in receipt.get_content()


async def test_a_customer_sees_only_their_own_notifications_newest_first(
    notification: Running, js: JetStreamContext, smtp: SmtpSink, signer: Signer
) -> None:
    alices = [str(uuid.uuid4()) for _ in range(3)]
    bobs = str(uuid.uuid4())
    for order_id in alices:
        await publish(js, order_placed(order_id))
    await publish(js, order_placed(bobs, customer_id="bob", email="bob@example.com",
                                   locale="en"))

    async def four() -> bool:
        a = len((await inbox(notification, signer, "alice"))["items"])
        b = len((await inbox(notification, signer, "bob"))["items"])
        return (a, b) == (3, 1)

    await eventually(four)
    bob = (await inbox(notification, signer, "bob"))["items"]
    assert [i["order_id"] for i in bob] == [bobs]
    assert bob[0]["title"].startswith("[fitshop] Payment received")  # his locale, English
    carol = await inbox(notification, signer, "carol")
    assert carol == {"items": [], "next_cursor": None}

    alice = (await inbox(notification, signer, "alice"))["items"]
    created = [i["created_at"] for i in alice]
    assert created == sorted(created, reverse=True)
    first = await inbox(notification, signer, "alice", limit=2)
    rest = await inbox(notification, signer, "alice", limit=2, cursor=first["next_cursor"])
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in alice]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 201}, "limit"), ({"limit": 0}, "limit"), ({"cursor": "bm9wZQ"}, "cursor"),
    ({"cursor": "%%%"}, "cursor"),
])
async def test_bad_list_parameters_answer_422_naming_the_parameter(
    notification: Running, signer: Signer, params: dict[str, Any], field: str
) -> None:
    answer = await notification.http.get(API, params=params, headers=customer(signer))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in answer.json()["errors"]]


async def test_the_inbox_needs_a_customer_token(notification: Running, signer: Signer) -> None:
    assert (await notification.http.get(API)).status_code == 401
    assert (await notification.http.get(API, headers=seller(signer))).status_code == 403
    assert (await notification.http.get(API, headers=customer(signer))).status_code == 200


async def test_delivery_requested_is_not_notified(
    notification: Running, js: JetStreamContext, signer: Signer
) -> None:
    order_id = str(uuid.uuid4())
    await publish(js, delivery_event("delivery.requested", "REQUESTED", order_id=order_id,
                                     version=1))
    await publish(js, delivery_event("delivery.started", "STARTED", order_id=order_id))

    async def started_notified() -> bool:
        return len((await inbox(notification, signer))["items"]) >= 1

    await eventually(started_notified)
    [only] = (await inbox(notification, signer))["items"]
    assert "배송 시작" in only["title"]


async def test_an_event_without_an_email_address_is_notified_in_app_only(
    notification: Running, js: JetStreamContext, smtp: SmtpSink, signer: Signer,
    redis_url: str,
) -> None:
    await publish(js, order_placed(email=None))

    async def notified() -> bool:
        return len((await inbox(notification, signer))["items"]) == 1

    await eventually(notified)
    [item] = (await inbox(notification, signer))["items"]
    assert item["email_status"] == "NONE"
    redis = Redis.from_url(redis_url)
    try:
        assert await redis.xlen("notification:email:queue") == 0
    finally:
        await redis.aclose()
    assert smtp.received() == []


async def test_a_poison_order_placed_is_dead_lettered_and_later_events_still_flow(
    notification: Running, js: JetStreamContext, signer: Signer
) -> None:
    poison = poisoned_order_placed()
    await js.publish(poison.subject(), poison.encode(), headers={"Nats-Msg-Id": poison.id})
    await publish(js, order_placed())
    # The service creates the dead-letter stream as its consumer starts; don't race it.
    await ensure_stream(js, "deadletter", NatsSettings())
    dead = await js.pull_subscribe("fitshop.deadletter.notification-orders", durable="ops",
                                   stream="DEADLETTER")
    [letter] = await dead.fetch(1, timeout=10)

    async def healthy_notified() -> bool:
        return len((await inbox(notification, signer))["items"]) == 1

    await eventually(healthy_notified)
    assert "breaks its contract" in letter.headers["Fitshop-Dead-Reason"]
    assert poison.id.encode() in letter.data

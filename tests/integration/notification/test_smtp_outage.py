"""An SMTP outage never holds up the in-app inbox; e-mails wait, retry, and go out once or dead-letter."""

from __future__ import annotations

import asyncio

from nats.js import JetStreamContext
from redis.asyncio import Redis

from fitshop_devstack.probes import free_port
from tests.contract.delivery.order_events import order_placed
from tests.contract.notification.delivery_events import delivery_event
from tests.integration.delivery.harness import customer, publish
from tests.integration.notification.harness import SmtpSink, fast_mail, running_notification
from tests.support.tokens import JwksServer, Signer
from tests.support.waiting import eventually


async def test_with_smtp_down_the_inbox_is_written_and_the_email_goes_out_once_it_returns(
    redis_url: str, nats_url: str, jwks: JwksServer, js: JetStreamContext, signer: Signer
) -> None:
    sink = SmtpSink(free_port())  # not started: SMTP is down
    mail = fast_mail(sink.port, email_max_attempts=50, email_retry_seconds=0.3)
    async with running_notification(redis_url, nats_url, jwks, mail) as notification:
        placed = order_placed()
        await publish(js, placed,
                      delivery_event("delivery.started", "STARTED",
                                     order_id=placed.data["order_id"]))

        async def inbox_written() -> bool:
            answer = await notification.http.get("/api/v1/notifications",
                                                 headers=customer(signer))
            return len(answer.json()["items"]) == 2

        await eventually(inbox_written)  # in-app does not wait for SMTP

        async def retrying() -> bool:
            answer = await notification.http.get("/api/v1/notifications",
                                                 headers=customer(signer))
            return all(i["email_status"] == "RETRYING" for i in answer.json()["items"])

        await eventually(retrying)
        sink.start()  # SMTP is back
        try:
            async def both_mailed() -> bool:
                return len(sink.received()) >= 2

            await eventually(both_mailed, timeout=15)
            await asyncio.sleep(1.0)  # further retries would show up as duplicates by now
            answer = await notification.http.get("/api/v1/notifications",
                                                 headers=customer(signer))
        finally:
            sink.stop()
    mails = sink.received()
    assert len(mails) == 2
    assert len({m["Message-ID"] for m in mails}) == 2
    assert {i["email_status"] for i in answer.json()["items"]} == {"SENT"}


async def test_an_email_that_never_gets_through_is_dead_lettered_and_the_inbox_keeps_it(
    redis_url: str, nats_url: str, jwks: JwksServer, js: JetStreamContext, signer: Signer
) -> None:
    mail = fast_mail(free_port(), email_max_attempts=3, email_retry_seconds=0.2)
    async with running_notification(redis_url, nats_url, jwks, mail) as notification:
        placed = order_placed()
        await publish(js, placed)
        redis = Redis.from_url(redis_url, decode_responses=True)
        try:
            async def dead_lettered() -> bool:
                return await redis.xlen("notification:email:dead") >= 1

            await eventually(dead_lettered, timeout=15)
            [(_, letter)] = await redis.xrange("notification:email:dead")
            pending = await redis.xpending("notification:email:queue", "mailer")
        finally:
            await redis.aclose()
        answer = await notification.http.get("/api/v1/notifications", headers=customer(signer))
    [item] = answer.json()["items"]
    assert item["kind"] == "PURCHASE_RECEIPT"
    assert item["email_status"] == "FAILED"
    assert letter["notification_id"] == item["id"]
    assert letter["attempts"] == "3"
    assert "SMTP unreachable" in letter["reason"]
    assert pending["pending"] == 0  # nothing left to retry

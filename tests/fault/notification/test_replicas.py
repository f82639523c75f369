"""Two notification replicas share the durable consumers and the e-mail queue: a burst of 500
orders gives exactly 500 receipts and 500 e-mails."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from nats.js import JetStreamContext
from redis.asyncio import Redis

from tests.contract.delivery.order_events import order_placed
from tests.integration.notification.harness import SmtpSink, fast_mail, running_notification
from tests.support.tokens import JwksServer
from tests.support.waiting import eventually

BURST = 500
CUSTOMERS = [f"customer-{n}" for n in range(10)]


@pytest.mark.slow
async def test_two_replicas_under_a_burst_of_500_orders_send_exactly_500_receipts(
    redis_url: str, nats_url: str, jwks: JwksServer, js: JetStreamContext, smtp: SmtpSink,
) -> None:
    mail = fast_mail(smtp.port, email_retry_seconds=5.0)
    events = [order_placed(customer_id=CUSTOMERS[n % len(CUSTOMERS)],
                           email=f"{CUSTOMERS[n % len(CUSTOMERS)]}@example.com")
              for n in range(BURST)]
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        async with running_notification(redis_url, nats_url, jwks, mail), \
                running_notification(redis_url, nats_url, jwks, mail):
            for chunk in range(0, BURST, 100):
                await asyncio.gather(*(js.publish(e.subject(), e.encode(),
                                                  headers={"Nats-Msg-Id": e.id})
                                       for e in events[chunk:chunk + 100]))

            async def all_in_inboxes() -> bool:
                counts = [await redis.zcard(f"notification:customer:{c}") for c in CUSTOMERS]
                return sum(counts) >= BURST

            await eventually(all_in_inboxes, timeout=60)

            async def all_mailed() -> bool:
                return len(smtp.received()) >= BURST

            await eventually(all_mailed, timeout=90)
            await asyncio.sleep(1.0)  # a duplicate would have shown up by now
            workers = await redis.xinfo_consumers("notification:email:queue", "mailer")
        counts = [await redis.zcard(f"notification:customer:{c}") for c in CUSTOMERS]
    finally:
        await redis.aclose()
    assert sum(counts) == BURST
    mails = smtp.received()
    assert len(mails) == BURST
    per_order = Counter(m.get_content().split("주문 번호: ")[1].split()[0] for m in mails)
    assert per_order == Counter(e.data["order_id"] for e in events)
    assert len({m["Message-ID"] for m in mails}) == BURST
    assert len(workers) == 2  # both replicas' dispatchers took part in the e-mail queue

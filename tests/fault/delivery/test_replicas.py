"""Two delivery replicas share one durable consumer: a burst is split between them, none twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from nats.js import JetStreamContext

from delivery.bootstrap import Runtime
from tests.contract.delivery.order_events import order_placed
from tests.integration.delivery.harness import published, running_delivery
from tests.support.tokens import JwksServer
from tests.support.waiting import eventually

BURST = 500


def count_calls(runtime: Runtime, tally: Counter[str], name: str) -> None:
    """Count the OrderPlaced events this replica's consumer handled."""
    original: Callable[..., Awaitable[Any]] = runtime.service.request_delivery

    async def counted(*args: Any, **kwargs: Any) -> Any:
        tally[name] += 1
        return await original(*args, **kwargs)

    runtime.service.request_delivery = counted  # type: ignore[method-assign]


@pytest.mark.slow
async def test_two_replicas_under_a_burst_of_500_orders_create_exactly_500_deliveries(
    pg_url: str, nats_url: str, jwks: JwksServer, js: JetStreamContext
) -> None:
    events = [order_placed() for _ in range(BURST)]
    tally: Counter[str] = Counter()
    async with running_delivery(pg_url, nats_url, jwks) as a, \
            running_delivery(pg_url, nats_url, jwks) as b:
        count_calls(a.app.state.runtime, tally, "a")
        count_calls(b.app.state.runtime, tally, "b")
        for chunk in range(0, BURST, 100):
            await asyncio.gather(*(js.publish(e.subject(), e.encode(),
                                              headers={"Nats-Msg-Id": e.id})
                                   for e in events[chunk:chunk + 100]))
        db = await asyncpg.connect(pg_url)
        try:
            async def all_requested() -> bool:
                return await db.fetchval("SELECT count(*) FROM deliveries") >= BURST

            await eventually(all_requested, timeout=60)

            async def all_published() -> bool:
                info = await js.stream_info("DELIVERY")
                return info.state.messages >= BURST

            await eventually(all_published, timeout=60)
            await asyncio.sleep(0.5)  # a duplicate would have shown up by now
            deliveries = await db.fetchval("SELECT count(*) FROM deliveries")
            orders = await db.fetchval("SELECT count(DISTINCT order_id) FROM deliveries")
        finally:
            await db.close()
    assert deliveries == orders == BURST
    requested = await published(js)
    assert len(requested) == BURST
    assert Counter(e.correlation_id for e in requested) == Counter(
        e.data["order_id"] for e in events)
    assert tally["a"] > 0 and tally["b"] > 0  # both replicas took a share
    assert tally["a"] + tally["b"] == BURST  # and no event was handled twice

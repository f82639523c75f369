"""order-view served by granian as in production: SSE over a real socket, hang-up, SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from nats.js import JetStreamContext
from redis.asyncio import Redis

from tests.contract.order_view.events import order_placed
from tests.integration.order_view.support import bearer, publish
from tests.support.granian import GranianProcess
from tests.support.tokens import JwksServer, Signer
from tests.support.waiting import eventually


@pytest.fixture
def served(redis_url: str, nats_url: str, jwks: JwksServer, js: JetStreamContext,
           tmp_path: Path) -> Iterator[GranianProcess]:
    env = {"REDIS_URL": redis_url, "NATS_URL": nats_url, **jwks.env, "SHUTDOWN_GRACE_SECONDS": "5",
           "ORDER_VIEW_SSE_HEARTBEAT_SECONDS": "0.3"}
    with GranianProcess("order_view.entrypoints.http:create_app", env,
                        tmp_path / "order-view.log") as service:
        yield service


async def subscribers(redis: Redis, customer: str) -> int:
    return int((await redis.pubsub_numsub(f"order-view:updates:{customer}"))[0][1])


async def test_an_event_reaches_the_customer_s_event_stream_over_http_and_hanging_up_unsubscribes(
    served: GranianProcess, js: JetStreamContext, signer: Signer, redis: Redis,
) -> None:
    order_id = str(uuid.uuid4())
    async with httpx2.AsyncClient(base_url=served.url, timeout=10) as http, http.stream(
        "GET", "/api/v1/my-orders/stream", headers=bearer(signer.token("alice"))
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        assert await anext(lines) == ": subscribed"
        await publish(js, [order_placed(order_id, "alice")])
        seen: list[str] = []
        async with asyncio.timeout(10):
            async for line in lines:
                seen.append(line)
                if line.startswith("data: "):
                    break
        assert "event: order" in seen
        assert f'"order_id":"{order_id}"' in seen[-1] and '"status":"PLACED"' in seen[-1]
        assert await subscribers(redis, "alice") == 1
    await eventually(lambda: _unsubscribed(redis, "alice"))


async def _unsubscribed(redis: Redis, customer: str) -> bool:
    return await subscribers(redis, customer) == 0


async def test_sigterm_with_an_open_event_stream_still_exits_within_the_grace_period(
    served: GranianProcess, signer: Signer,
) -> None:
    async with httpx2.AsyncClient(base_url=served.url, timeout=10) as http, http.stream(
        "GET", "/api/v1/my-orders/stream", headers=bearer(signer.token("alice"))
    ) as response:
        lines = response.aiter_lines()
        assert await anext(lines) == ": subscribed"
        sent = time.monotonic()
        assert served.proc is not None
        served.proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(served.proc.wait, 20)
    assert code == 0
    assert time.monotonic() - sent < 10

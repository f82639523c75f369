"""GET /api/v1/my-orders/stream: the customer's view changes pushed as SSE, heartbeats, clean disconnect."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from nats.js import JetStreamContext
from redis.asyncio import Redis

from fitshop_common.security import TokenVerifier
from fitshop_common.settings import JwtSettings, NatsSettings, RedisSettings
from order_view.entrypoints.http import create_app
from order_view.settings import OrderViewSettings
from tests.contract.order_view.events import delivery, order_placed
from tests.integration.order_view.support import publish, running
from tests.support.tokens import Signer
from tests.support.waiting import eventually


class Stream:
    """An HTTP GET driven at the ASGI level, so the test sees each chunk and can hang up."""

    def __init__(self, app: Litestar, token: str | None) -> None:
        headers = [(b"host", b"order-view")]
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        self.scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": "/api/v1/my-orders/stream", "raw_path": b"/api/v1/my-orders/stream",
            "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 50000), "server": ("order-view", 80), "state": {},
        }
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self._hung_up = asyncio.Event()
        self._sent_request = False
        self.task = asyncio.create_task(app(self.scope, self._receive, self._send))  # type: ignore[arg-type]
        self._buffer = b""

    async def _receive(self) -> dict[str, Any]:
        if not self._sent_request:
            self._sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._hung_up.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body" and message.get("body"):
            await self.chunks.put(message["body"])

    async def next_message(self, timeout: float = 5.0) -> str:
        """The next SSE message (the text up to a blank line)."""
        while b"\r\n\r\n" not in self._buffer:
            self._buffer += await asyncio.wait_for(self.chunks.get(), timeout)
        message, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        return message.decode()

    async def next_event(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next `order` event's OrderStatusView, skipping heartbeats."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.next_message(max(deadline - loop.time(), 0.01))
            if "event: order" in message:
                data = next(line[6:] for line in message.split("\r\n") if line.startswith("data: "))
                return msgspec.json.decode(data)  # type: ignore[no-any-return]

    async def hang_up(self) -> None:
        self._hung_up.set()
        await asyncio.wait_for(self.task, 5)


async def subscribers(redis: Redis, customer: str) -> int:
    counts = await redis.pubsub_numsub(f"order-view:updates:{customer}")
    return int(counts[0][1])


async def test_a_customer_receives_an_update_after_an_event_and_then_heartbeats(
    app: Litestar, js: JetStreamContext, signer: Signer, redis: Redis,
) -> None:
    stream = Stream(app, signer.token("alice"))
    first = await stream.next_message()
    assert stream.status == 200 and stream.headers["content-type"].startswith("text/event-stream")
    assert ": subscribed" in first and "retry: 3000" in first

    order_id = str(uuid.uuid4())
    await publish(js, [order_placed(order_id, "alice")])
    view = await stream.next_event()
    assert (view["order_id"], view["status"], view["delivery_status"]) == (order_id, "PLACED", None)

    await publish(js, [delivery("started", order_id, version=2)])
    view = await stream.next_event()
    assert (view["status"], view["delivery_status"]) == ("PREPARING", "STARTED")

    assert (await stream.next_message(timeout=2)) == ": heartbeat"  # idle 0.2 s in these tests
    await stream.hang_up()


async def test_a_customer_never_receives_someone_else_s_updates(
    app: Litestar, js: JetStreamContext, signer: Signer,
) -> None:
    alice = Stream(app, signer.token("alice"))
    await alice.next_message()
    bobs_order, alices_order = str(uuid.uuid4()), str(uuid.uuid4())
    await publish(js, [order_placed(bobs_order, "bob"), order_placed(alices_order, "alice")])
    view = await alice.next_event()
    assert view["order_id"] == alices_order  # bob's came first on the wire and never showed up
    await alice.hang_up()


@pytest.fixture
async def quiet_app(redis_settings: RedisSettings, nats_settings: NatsSettings,
                    view_settings: OrderViewSettings, jwt: JwtSettings) -> AsyncIterator[Litestar]:
    """The service without its consumers, so the only tasks that come and go are the streams'."""
    verifier = TokenVerifier(jwt)
    service = create_app(redis=redis_settings, nats=nats_settings, settings=view_settings,
                         token_verifier=verifier, consume=False)
    async with running(service):
        yield service
    await verifier.aclose()


async def test_hanging_up_unsubscribes_and_leaves_no_task_behind(
    quiet_app: Litestar, signer: Signer, redis: Redis,
) -> None:
    app = quiet_app
    before = {t for t in asyncio.all_tasks() if not t.done()}
    streams = [Stream(app, signer.token("carol")) for _ in range(3)]
    for stream in streams:
        await stream.next_message()
    assert await subscribers(redis, "carol") == 3

    for stream in streams:
        await stream.hang_up()

    await eventually(lambda: _none_left(redis, "carol"))
    await asyncio.sleep(0.05)
    leaked = {t for t in asyncio.all_tasks() if not t.done()} - before - {asyncio.current_task()}
    assert leaked == set(), leaked


async def _none_left(redis: Redis, customer: str) -> bool:
    return await subscribers(redis, customer) == 0


async def test_the_stream_needs_a_customer_token(app: Litestar, signer: Signer) -> None:
    anonymous = Stream(app, None)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(anonymous.task), 5)
    assert anonymous.status == 401

    seller = Stream(app, signer.token("seller", ["seller"]))
    await asyncio.wait_for(seller.task, 5)
    assert seller.status == 403

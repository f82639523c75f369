"""Helpers for order-view tests against real servers: publishing like the outbox relay, waiting, clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import nats.errors
import nats.js.errors
from litestar.types import ASGIApp
from nats.js import JetStreamContext

from fitshop_common.events import Envelope, assert_conforms


async def publish(js: JetStreamContext, events: Iterable[Envelope], *, check: bool = True) -> None:
    """Publish as the outbox relay does: contract-checked, `Nats-Msg-Id` = event id, await the ack."""
    for event in events:
        if check:
            assert_conforms(event)
        await js.publish(event.subject(), event.encode(), headers={"Nats-Msg-Id": event.id})


async def publish_with_retry(js: JetStreamContext, event: Envelope, *, attempts: int = 200) -> None:
    """Keep trying through a broker outage (the relay would retry from its outbox table)."""
    for attempt in range(attempts):
        try:
            await js.publish(event.subject(), event.encode(), headers={"Nats-Msg-Id": event.id},
                             timeout=1)
            return
        except (TimeoutError, nats.errors.Error, nats.js.errors.Error):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.1)


@asynccontextmanager
async def running(app: ASGIApp) -> AsyncIterator[None]:
    """Run an ASGI app's lifespan in this event loop (its clients then live in the test's loop)."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))  # type: ignore[arg-type]
    started = await asyncio.wait_for(outbox.get(), 30)
    if started["type"] != "lifespan.startup.complete":
        await task
        raise RuntimeError(f"startup failed: {started}")
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(outbox.get(), 30)
        await task


async def consumers_idle(js: JetStreamContext) -> bool:
    """Both order-view durables exist and hold nothing undelivered or unacknowledged."""
    for stream, durable in (("ORDERS", "order-view-orders"), ("DELIVERY", "order-view-delivery")):
        try:
            info = await js.consumer_info(stream, durable)
        except nats.js.errors.NotFoundError:
            return False  # not created yet (the projector starts them after its checks)
        if info.num_pending or info.num_ack_pending:
            return False
    return True


def bearer(token: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {token}"}

"""A minimal service built with the shared app factory, run by granian in lifecycle tests."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, get

from fitshop_common.app import create_service_app
from fitshop_common.messaging import connect, nats_check
from fitshop_common.settings import NatsSettings, ServiceSettings


@get("/slow")
async def slow() -> dict[str, bool]:
    await asyncio.sleep(float(os.environ.get("SLOW_SECONDS", "2")))
    return {"finished": True}


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    nc = await connect(NatsSettings(), "sample")
    app.state.health.add_check("nats", nats_check(nc))
    marker = Path(os.environ["DRAIN_MARKER"])

    async def worker(stop: asyncio.Event) -> None:
        await stop.wait()
        await asyncio.sleep(0.2)  # finishing the message in hand
        marker.write_text("drained")

    app.state.workers.spawn("sample-worker", worker)
    try:
        yield
    finally:
        await nc.drain()


def create_app() -> Litestar:
    return create_service_app(
        settings=ServiceSettings(service_name="sample", shutdown_grace_seconds=5),
        route_handlers=[slow],
        lifespan=lifespan,
    )

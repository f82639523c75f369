"""The shared app factory settles the heap once the service has started."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.testing import AsyncTestClient

from fitshop_common.app import GC_YOUNG_THRESHOLD, create_service_app
from fitshop_common.settings import ServiceSettings


async def test_startup_freezes_what_it_built_and_collects_the_young_less_often() -> None:
    seen: dict[str, object] = {}

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        seen["frozen_during_startup"] = gc.get_freeze_count()
        yield

    before = gc.get_threshold()
    gc.unfreeze()  # other in-process apps of this test session may have settled it already
    app = create_service_app(settings=ServiceSettings(service_name="heap-test"),
                             route_handlers=[], lifespan=lifespan)
    try:
        async with AsyncTestClient(app) as client:
            assert (await client.get("/health/live")).status_code == 200
            assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert seen["frozen_during_startup"] == 0  # settled after the service's own startup

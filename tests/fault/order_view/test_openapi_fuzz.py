"""Schemathesis over the "my orders" API, as a customer: no 5xx, and every answer as documented.

The SSE stream is left out: it answers 200 and never ends, which a request-at-a-time fuzzer can
only report as a timeout (tests/integration/order_view/test_sse.py covers it)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from nats.js import JetStreamContext

from tests.contract.order_view.events import at, order_placed
from tests.integration.order_view.support import publish
from tests.support.fuzzing import assert_clean, schemathesis_run
from tests.support.granian import GranianProcess
from tests.support.tokens import JwksServer, Signer


@pytest.mark.slow
async def test_fuzzing_the_my_orders_api_finds_no_server_error_and_no_undocumented_answer(
    redis_url: str, nats_url: str, js: JetStreamContext, jwks: JwksServer, signer: Signer,
    tmp_path: Path,
) -> None:
    env = {"SERVICE_NAME": "order-view", "REDIS_URL": redis_url, "NATS_URL": nats_url,
           **jwks.env}
    token = signer.token("alice", ["customer"], exp=int(time.time()) + 3600)
    with GranianProcess("order_view.entrypoints.http:create_app", env,
                        tmp_path / "order-view.log") as served:
        # a list that is not empty: pages have items and cursors
        await publish(js, [order_placed(str(uuid.uuid4()), "alice", placed_at=at(n)) for n in range(3)])
        run = schemathesis_run(served.url, headers={"Authorization": f"Bearer {token}"},
                               exclude_paths=("/api/v1/my-orders/stream",),
                               report_dir=tmp_path / "report",
                               cursor_lists=["listMyOrders"])
    assert_clean(run, served.tail(60))

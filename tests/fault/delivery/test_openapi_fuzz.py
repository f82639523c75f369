"""Schemathesis over the delivery API, as a seller: no 5xx, and every answer as documented."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from nats.js import JetStreamContext

from tests.contract.delivery.order_events import order_placed
from tests.integration.delivery.harness import publish
from tests.support.fuzzing import assert_clean, schemathesis_run
from tests.support.granian import GranianProcess
from tests.support.tokens import JwksServer, Signer


@pytest.mark.slow
async def test_fuzzing_the_delivery_api_finds_no_server_error_and_no_undocumented_answer(
    pg_url: str, nats_url: str, js: JetStreamContext, jwks: JwksServer, signer: Signer,
    tmp_path: Path,
) -> None:
    env = {"SERVICE_NAME": "delivery", "DATABASE_URL": pg_url, "NATS_URL": nats_url,
           **jwks.env}
    token = signer.token("sam", ["seller"], exp=int(time.time()) + 3600)
    with GranianProcess("delivery.entrypoints.http:create_app", env, tmp_path / "delivery.log") as served:
        for _ in range(3):  # a queue that is not empty: lists and pages have items to show
            await publish(js, order_placed())
        run = schemathesis_run(served.url, headers={"Authorization": f"Bearer {token}"},
                               report_dir=tmp_path / "report",
                               cursor_lists=["listDeliveries"])
    assert_clean(run, served.tail(60))

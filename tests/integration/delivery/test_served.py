"""Served by granian from the environment alone, as the local stack and the chart run it."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from nats.js import JetStreamContext

from tests.contract.delivery.order_events import order_placed
from tests.integration.delivery.harness import publish, seller
from tests.support.granian import GranianProcess
from tests.support.tokens import JwksServer, Signer
from tests.support.waiting import eventually


@pytest.mark.slow  # a process start: imports alone take seconds on a busy machine
async def test_the_delivery_service_runs_under_granian_from_its_environment(
    pg_url: str, nats_url: str, jwks: JwksServer, signer: Signer, js: JetStreamContext,
    tmp_path: Path,
) -> None:
    served = GranianProcess("delivery.entrypoints.http:create_app",
                            {"DATABASE_URL": pg_url, "NATS_URL": nats_url, **jwks.env},
                            tmp_path / "delivery.log")
    served.start()
    try:
        async with httpx2.AsyncClient(base_url=served.url, timeout=2) as http:
            await publish(js, order_placed())

            async def queued() -> bool:
                answer = await http.get("/api/v1/deliveries", headers=seller(signer))
                return len(answer.json()["items"]) == 1

            await eventually(queued)
            assert (await http.get("/schema/openapi.json")).status_code == 200
    finally:
        code = served.stop()
    assert code == 0, served.tail()

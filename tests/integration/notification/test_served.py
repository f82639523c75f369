"""Served by granian from the environment alone, as the local stack and the chart run it."""

from __future__ import annotations

import httpx2
import pytest
from nats.js import JetStreamContext

from fitshop_devstack.probes import free_port
from tests.contract.delivery.order_events import order_placed
from tests.integration.delivery.harness import customer, publish
from tests.integration.delivery.test_served import granian, stop
from tests.integration.notification.harness import SmtpSink
from tests.support.tokens import JwksServer, Signer
from tests.support.waiting import eventually


@pytest.mark.slow  # a process start: imports alone take seconds on a busy machine
async def test_the_notification_service_runs_under_granian_from_its_environment(
    redis_url: str, nats_url: str, jwks: JwksServer, signer: Signer, js: JetStreamContext,
    smtp: SmtpSink,
) -> None:
    port = free_port()
    proc = granian("notification.entrypoints.http:create_app", port, {
        "REDIS_URL": redis_url, "NATS_URL": nats_url, "JWKS_URL": jwks.url,
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port)})
    try:
        async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
            async def ready() -> bool:
                try:
                    return (await http.get("/health/ready")).status_code == 200
                except httpx2.HTTPError:
                    return False

            await eventually(ready, timeout=20)
            await publish(js, order_placed())

            async def notified_and_mailed() -> bool:
                answer = await http.get("/api/v1/notifications", headers=customer(signer))
                return len(answer.json()["items"]) == 1 and len(smtp.received()) == 1

            await eventually(notified_and_mailed)
    finally:
        code = await stop(proc)
    assert code == 0

"""Served by granian from the environment alone, as the local stack and the chart run it."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from nats.js import JetStreamContext

from tests.contract.delivery.order_events import order_placed
from tests.integration.delivery.harness import customer, publish
from tests.integration.notification.harness import SmtpSink
from tests.support.granian import GranianProcess
from tests.support.tokens import JwksServer, Signer
from tests.support.waiting import eventually


@pytest.mark.slow  # a process start: imports alone take seconds on a busy machine
async def test_the_notification_service_runs_under_granian_from_its_environment(
    redis_url: str, nats_url: str, jwks: JwksServer, signer: Signer, js: JetStreamContext,
    smtp: SmtpSink, tmp_path: Path,
) -> None:
    served = GranianProcess("notification.entrypoints.http:create_app", {
        "REDIS_URL": redis_url, "NATS_URL": nats_url, **jwks.env,
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port)}, tmp_path / "notification.log")
    served.start()
    try:
        async with httpx2.AsyncClient(base_url=served.url, timeout=2) as http:
            await publish(js, order_placed())

            async def notified_and_mailed() -> bool:
                answer = await http.get("/api/v1/notifications", headers=customer(signer))
                return len(answer.json()["items"]) == 1 and len(smtp.received()) == 1

            await eventually(notified_and_mailed)
    finally:
        code = served.stop()
    assert code == 0, served.tail()

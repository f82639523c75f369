"""Schemathesis over the notification API, as a customer: no 5xx, and every answer as documented."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from nats.js import JetStreamContext

from tests.contract.delivery.order_events import order_placed
from tests.integration.delivery.harness import publish
from tests.integration.notification.harness import SmtpSink
from tests.support.fuzzing import assert_clean, schemathesis_run
from tests.support.granian import GranianProcess
from tests.support.tokens import JwksServer, Signer
from tests.support.waiting import eventually


@pytest.mark.slow
async def test_fuzzing_the_notification_api_finds_no_server_error_and_no_undocumented_answer(
    redis_url: str, nats_url: str, js: JetStreamContext, smtp: SmtpSink, jwks: JwksServer,
    signer: Signer, tmp_path: Path,
) -> None:
    env = {"SERVICE_NAME": "notification", "REDIS_URL": redis_url, "NATS_URL": nats_url,
           **jwks.env,
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port)}
    token = signer.token("alice", ["customer"], exp=int(time.time()) + 3600)
    with GranianProcess("notification.entrypoints.http:create_app", env,
                        tmp_path / "notification.log") as served:
        for _ in range(3):  # an inbox that is not empty: pages have items and cursors
            await publish(js, order_placed())

        async def receipts_sent() -> bool:
            return len(smtp.received()) == 3

        await eventually(receipts_sent)
        run = schemathesis_run(served.url, headers={"Authorization": f"Bearer {token}"},
                               report_dir=tmp_path / "report",
                               cursor_lists=["listNotifications"])
    assert_clean(run, served.tail(60))

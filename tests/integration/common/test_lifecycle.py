"""A service under granian: readiness follows its dependencies; SIGTERM lets in-flight work finish."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.support.granian import GranianProcess, sample_service


@pytest.fixture
def served(nats_url: str, tmp_path: Path) -> Iterator[GranianProcess]:
    with sample_service(nats_url, tmp_path) as service:
        yield service


async def test_sigterm_during_a_slow_request_lets_it_finish_then_drains_and_exits(
    served: GranianProcess, tmp_path: Path,
) -> None:
    assert served.proc is not None
    async with httpx2.AsyncClient(base_url=served.url, timeout=10) as client:
        request = asyncio.create_task(client.get("/slow"))
        await asyncio.sleep(0.5)  # the request is in flight
        sent = time.monotonic()
        served.proc.send_signal(signal.SIGTERM)
        response = await request
    exit_code = await asyncio.to_thread(served.proc.wait, 10)
    elapsed = time.monotonic() - sent
    assert response.status_code == 200 and response.json() == {"finished": True}
    assert exit_code == 0
    assert (tmp_path / "drained").read_text() == "drained"  # background loops were stopped gracefully
    assert elapsed < 5  # within the grace period (slow request 2 s + drain 0.2 s)


@pytest.mark.slow
async def test_readiness_fails_while_nats_is_down_and_recovers(served: GranianProcess, nats_server) -> None:  # type: ignore[no-untyped-def]
    async with httpx2.AsyncClient(base_url=served.url, timeout=5) as client:
        assert (await client.get("/health/ready")).status_code == 200
        nats_server.stop()
        try:
            await asyncio.sleep(0.5)
            down = await client.get("/health/ready")
            live = await client.get("/health/live")
        finally:
            nats_server.start()
        for _ in range(100):
            if (await client.get("/health/ready")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        up = await client.get("/health/ready")
    assert down.status_code == 503 and down.json()["checks"]["nats"].startswith("down")
    assert live.status_code == 200  # a dependency outage is no reason to restart us
    assert up.status_code == 200

"""Served by granian from the environment alone, as the local stack and the chart run it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
from nats.js import JetStreamContext

from fitshop_devstack.probes import free_port
from tests.contract.delivery.order_events import order_placed
from tests.integration.delivery.harness import publish, seller
from tests.support.tokens import JwksServer, Signer
from tests.support.waiting import eventually

REPO = Path(__file__).resolve().parents[3]


def granian(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1", app],
        cwd=REPO, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)


async def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    for _ in range(200):
        if proc.poll() is not None:
            return proc.returncode
        await asyncio.sleep(0.05)
    proc.kill()
    raise AssertionError("did not stop within 10s of SIGTERM")


@pytest.mark.slow  # a process start: imports alone take seconds on a busy machine
async def test_the_delivery_service_runs_under_granian_from_its_environment(
    pg_url: str, nats_url: str, jwks: JwksServer, signer: Signer, js: JetStreamContext
) -> None:
    port = free_port()
    proc = granian("delivery.entrypoints.http:create_app", port, {
        "DATABASE_URL": pg_url, "NATS_URL": nats_url, "JWKS_URL": jwks.url})
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx2.AsyncClient(base_url=url, timeout=2) as http:
            async def ready() -> bool:
                try:
                    return (await http.get("/health/ready")).status_code == 200
                except httpx2.HTTPError:
                    return False

            await eventually(ready, timeout=20)
            await publish(js, order_placed())

            async def queued() -> bool:
                answer = await http.get("/api/v1/deliveries", headers=seller(signer))
                return len(answer.json()["items"]) == 1

            await eventually(queued)
            assert (await http.get("/schema/openapi.json")).status_code == 200
    finally:
        code = await stop(proc)
    assert code == 0

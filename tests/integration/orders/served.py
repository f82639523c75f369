"""Real processes for orders tests: the payment-provider mock and the orders service under granian."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2

REPO = Path(__file__).resolve().parents[3]
GRANIAN = str(Path(sys.executable).parent / "granian")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """One granian process serving an ASGI app factory on a free loopback port."""

    def __init__(self, factory: str, env: dict[str, str], log: Path, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._factory = factory
        self._env = {**os.environ, "PYTHONPATH": str(REPO), **env}
        self._workers = workers
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [GRANIAN, "--interface", "asgi", "--factory", "--host", "127.0.0.1",
                 "--port", str(self.port), "--workers", str(self._workers),
                 "--backpressure", "256", self._factory],
                cwd=REPO, env=self._env, stdout=out, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self._factory} exited; log:\n{self.tail()}")
            try:
                if httpx2.get(self.url + "/health/ready", timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self._factory} never became ready; log:\n{self.tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


class PaymentMock(Served):
    """The payment-gateway mock with its fault switch and inspection API on an admin port."""

    def __init__(self, log: Path) -> None:
        self.admin_port = free_port()
        self.admin_url = f"http://127.0.0.1:{self.admin_port}"
        super().__init__("payment_gateway.entrypoints.http:create_app",
                         {"PAYMENT_FAULTS_ENABLED": "true", "PAYMENT_ADMIN_PORT": str(self.admin_port),
                          "SERVICE_NAME": "payment-gateway", "LOG_LEVEL": "WARNING"}, log)

    def set_faults(self, **faults: Any) -> None:
        response = httpx2.put(self.admin_url + "/admin/faults", json=faults, timeout=5)
        assert response.status_code == 200, response.text

    def payments(self, order_id: str | None = None) -> list[dict[str, Any]]:
        params = {"order_id": order_id} if order_id else {}
        response = httpx2.get(self.admin_url + "/admin/payments", params=params, timeout=5)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def forget(self) -> None:
        httpx2.delete(self.admin_url + "/admin/payments", timeout=5)


def orders_env(*, database_url: str, nats_url: str, payment_url: str, jwks_url: str,
               grpc_port: int = 0, **more: str) -> dict[str, str]:
    """The environment a served orders process reads (fitshop_common and orders settings)."""
    return {"DATABASE_URL": database_url, "NATS_URL": nats_url, "PAYMENT_URL": payment_url,
            "JWKS_URL": jwks_url, "ORDERS_GRPC_PORT": str(grpc_port),
            "ORDERS_GRPC_HOST": "127.0.0.1", "SERVICE_NAME": "orders", "LOG_LEVEL": "WARNING",
            **more}


class ServedOrders(Served):
    def __init__(self, env: dict[str, str], log: Path, workers: int = 1) -> None:
        super().__init__("orders.entrypoints.http:create_app", env, log, workers)

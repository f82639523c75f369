"""Real processes for orders tests: the payment-provider mock and the orders service under granian."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2

from tests.support.granian import GranianProcess, free_port


class Served(GranianProcess):
    """One granian process serving an ASGI app factory on a free loopback port."""

    def __init__(self, factory: str, env: dict[str, str], log: Path, workers: int = 1) -> None:
        super().__init__(factory, env, log, workers=workers, extra_args=["--backpressure", "256"])


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

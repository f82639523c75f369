"""The mock served by granian as in the local stack: every injectable fault, and the admin port rules."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.integration.payment_gateway.granian_process import (
    GranianProcess,
    free_port,
    refuses_connections,
)

FACTORY = "payment_gateway.entrypoints.http:create_app"


class Gateway:
    def __init__(self, served: GranianProcess, admin_port: int) -> None:
        self.url = served.url
        self.admin_url = f"http://127.0.0.1:{admin_port}"
        self.admin_port = admin_port
        self.served = served

    def faults(self, **faults: Any) -> dict[str, Any]:
        response = httpx2.put(self.admin_url + "/admin/faults", json=faults, timeout=5)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def payments(self, order_id: str) -> list[dict[str, Any]]:
        response = httpx2.get(self.admin_url + "/admin/payments", params={"order_id": order_id}, timeout=5)
        return list(response.json()["items"])


def serve(tmp_path: Path, **env: str) -> tuple[GranianProcess, int]:
    admin_port = free_port()
    served = GranianProcess(FACTORY, {"PAYMENT_ADMIN_PORT": str(admin_port), **env},
                            log=tmp_path / "payment-gateway.log")
    return served, admin_port


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    served, admin_port = serve(tmp_path_factory.mktemp("pg"), PAYMENT_FAULTS_ENABLED="true")
    with served:
        yield Gateway(served, admin_port)


@pytest.fixture(autouse=True)
def healthy(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "gateway" in request.fixturenames:
        request.getfixturevalue("gateway").faults()  # `{}` clears every fault


def order_body(card: str = "4242424242424242") -> tuple[str, dict[str, Any]]:
    order_id = str(uuid.uuid4())
    return order_id, {"amount": 25_000, "currency": "KRW", "card_number": card, "order_id": order_id}


async def create(client: httpx2.AsyncClient, key: str, body: dict[str, Any]) -> httpx2.Response:
    return await client.post("/v1/payments", json=body, headers={"Idempotency-Key": key})


async def test_putting_empty_faults_clears_them_all_and_answers_what_is_in_force(gateway: Gateway) -> None:
    assert gateway.faults(latency_ms=5, outage=True)["outage"] is True
    cleared = gateway.faults()
    assert cleared == {"latency_ms": 0, "latency_jitter_ms": 0, "error_rate": 0.0,
                       "max_concurrency": None, "outage": False, "charge_then_delay": False}
    assert httpx2.get(gateway.admin_url + "/admin/faults").json() == cleared


async def test_latency_slows_every_call_by_at_least_the_configured_time(gateway: Gateway) -> None:
    gateway.faults(latency_ms=400)
    order_id, body = order_body()
    async with httpx2.AsyncClient(base_url=gateway.url, timeout=10) as client:
        started = time.monotonic()
        created = await create(client, order_id, body)
        elapsed_create = time.monotonic() - started
        started = time.monotonic()
        looked_up = await client.get("/v1/payments", params={"idempotency_key": order_id})
        elapsed_lookup = time.monotonic() - started
    assert created.status_code == 201 and looked_up.status_code == 200
    assert elapsed_create >= 0.4 and elapsed_lookup >= 0.4


async def test_an_error_rate_of_one_answers_500_and_charges_nothing(gateway: Gateway) -> None:
    gateway.faults(error_rate=1.0)
    order_id, body = order_body()
    async with httpx2.AsyncClient(base_url=gateway.url, timeout=10) as client:
        responses = [await create(client, order_id, body) for _ in range(3)]
    assert [r.status_code for r in responses] == [500, 500, 500]
    assert responses[0].json()["error"] == "internal"
    assert gateway.payments(order_id) == []


async def test_half_the_calls_fail_with_an_error_rate_of_one_half(gateway: Gateway) -> None:
    gateway.faults(error_rate=0.5)
    async with httpx2.AsyncClient(base_url=gateway.url, timeout=10) as client:
        codes = []
        for _ in range(60):
            order_id, body = order_body()
            codes.append((await create(client, order_id, body)).status_code)
    assert set(codes) == {201, 500}
    assert 12 <= codes.count(500) <= 48  # 30 expected; binomial(60, 0.5) is inside this > 99.99 %


async def test_over_the_concurrency_limit_parallel_calls_get_503_with_retry_after(gateway: Gateway) -> None:
    gateway.faults(max_concurrency=3, latency_ms=800)
    orders = [order_body() for _ in range(12)]
    async with httpx2.AsyncClient(base_url=gateway.url, timeout=10) as client:
        responses = await asyncio.gather(*(create(client, oid, body) for oid, body in orders))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 3 and codes.count(503) == 9
    refused = [r for r in responses if r.status_code == 503]
    assert all(r.json()["error"] == "overloaded" and int(r.headers["retry-after"]) >= 1 for r in refused)
    charged = [oid for oid, _ in orders if gateway.payments(oid)]
    assert len(charged) == 3  # the refused ones charged nothing


async def test_an_outage_answers_503_to_every_call_until_cleared(gateway: Gateway) -> None:
    order_id, body = order_body()
    other_order, other_body = order_body()
    async with httpx2.AsyncClient(base_url=gateway.url, timeout=10) as client:
        approved = await create(client, order_id, body)
        gateway.faults(outage=True)
        during = [await create(client, other_order, other_body),
                  await client.get(f"/v1/payments/{approved.json()['id']}"),
                  await client.post(f"/v1/payments/{approved.json()['id']}/cancel", json={})]
        gateway.faults()
        after = await client.get(f"/v1/payments/{approved.json()['id']}")
    assert [r.status_code for r in during] == [503, 503, 503]
    assert all("retry-after" in r.headers for r in during)
    assert after.status_code == 200 and after.json()["status"] == "APPROVED"  # not refunded meanwhile
    assert gateway.payments(other_order) == []


async def test_charge_then_delay_charges_even_when_the_client_gives_up_waiting(gateway: Gateway) -> None:
    gateway.faults(latency_ms=1500, charge_then_delay=True)
    order_id, body = order_body()
    async with httpx2.AsyncClient(base_url=gateway.url, timeout=0.5) as client:
        with pytest.raises(httpx2.TimeoutException):
            await create(client, order_id, body)
    gateway.faults()
    # The merchant reconciles the unknown outcome by asking with its idempotency key.
    found = httpx2.get(gateway.url + "/v1/payments", params={"idempotency_key": order_id}, timeout=5)
    assert found.status_code == 200 and found.json()["status"] == "APPROVED"


async def test_without_charge_then_delay_a_client_that_gives_up_was_not_charged_yet(gateway: Gateway) -> None:
    gateway.faults(latency_ms=1500)
    order_id, body = order_body()
    async with httpx2.AsyncClient(base_url=gateway.url, timeout=0.5) as client:
        with pytest.raises(httpx2.TimeoutException):
            await create(client, order_id, body)
        assert gateway.payments(order_id) == []  # still sleeping before the decision


async def test_bad_fault_settings_are_refused_and_change_nothing(gateway: Gateway) -> None:
    gateway.faults(latency_ms=10)
    for bad in ({"error_rate": 1.5}, {"max_concurrency": 0}, {"latency_ms": -1}, {"outage": "yes"}):
        response = httpx2.put(gateway.admin_url + "/admin/faults", json=bad, timeout=5)
        assert response.status_code == 422, bad
    assert httpx2.get(gateway.admin_url + "/admin/faults").json()["latency_ms"] == 10


async def test_the_admin_api_is_never_served_on_the_main_port(gateway: Gateway) -> None:
    for method in ("GET", "PUT"):
        response = httpx2.request(method, gateway.url + "/admin/faults", json={}, timeout=5)
        assert response.status_code in (404, 405)
    assert httpx2.get(gateway.url + "/admin/payments", timeout=5).status_code == 404


async def test_the_admin_port_is_closed_unless_fault_injection_is_enabled(tmp_path: Path) -> None:
    served, admin_port = serve(tmp_path)
    with served:
        assert refuses_connections(admin_port)
        assert httpx2.get(served.url + "/admin/faults", timeout=5).status_code == 404
        assert httpx2.get(served.url + "/health/ready", timeout=5).status_code == 200


async def test_environment_defaults_put_faults_in_force_at_startup(tmp_path: Path) -> None:
    served, admin_port = serve(tmp_path, PAYMENT_FAULTS_ENABLED="true", PAYMENT_LATENCY_MS="250",
                               PAYMENT_ERROR_RATE="0.25", PAYMENT_MAX_CONCURRENCY="7")
    with served:
        faults = httpx2.get(f"http://127.0.0.1:{admin_port}/admin/faults", timeout=5).json()
    assert (faults["latency_ms"], faults["error_rate"], faults["max_concurrency"]) == (250, 0.25, 7)


@pytest.mark.slow  # two process starts
async def test_payments_survive_a_restart_when_a_data_dir_is_given(tmp_path: Path) -> None:
    order_id, body = order_body()
    served, _ = serve(tmp_path, DATA_DIR=str(tmp_path / "state"))
    with served:
        created = httpx2.post(served.url + "/v1/payments", json=body,
                              headers={"Idempotency-Key": order_id}, timeout=5).json()
    with served:
        again = httpx2.get(served.url + f"/v1/payments/{created['id']}", timeout=5)
    assert again.status_code == 200 and again.json() == created

"""The repository's own kong.yml served by the dev edge: public and protected routes, demo keys."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx2
import pytest

from tests.integration.edge.edge_harness import REPO, Running, SigningKey, start_edge

CONFIG = REPO / "gateway-config" / "kong.yml"
CHART_HOSTS = ["fitshop-auth", "fitshop-catalog", "fitshop-orders", "fitshop-order-view",
               "fitshop-delivery", "fitshop-notification", "fitshop-web"]


@pytest.fixture(scope="module")
def edge(upstream: Running, logs_dir: Path) -> Iterator[Running]:
    running = start_edge(CONFIG, {host: upstream.url for host in CHART_HOSTS}, logs_dir)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def demo_key() -> SigningKey:
    """The newest demo key: the one the auth service signs with locally."""
    return SigningKey.load(sorted((REPO / "gateway-config" / "demo-keys").glob("*.pem"))[-1])


@pytest.fixture
async def client(edge: Running) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=edge.url, timeout=20) as http:
        yield http


async def _host_seen(upstream: Running) -> str:
    async with httpx2.AsyncClient(base_url=upstream.url) as direct:
        return str((await direct.get("/__seen")).json()[-1]["headers"]["host"])


@pytest.mark.parametrize(
    ("method", "path", "host"),
    [
        ("GET", "/api/v1/products", "fitshop-catalog:8080"),
        ("GET", "/api/v1/products/8d9c2f0e", "fitshop-catalog:8080"),
        ("POST", "/auth/token", "fitshop-auth:8080"),
        ("GET", "/auth/.well-known/openid-configuration", "fitshop-auth:8080"),
        ("GET", "/", "fitshop-web:8080"),
        ("GET", "/admin/faults", "fitshop-web:8080"),  # never the payment mock
    ],
)
async def test_public_routes_need_no_token(client: httpx2.AsyncClient, upstream: Running, method: str, path: str,
                                           host: str) -> None:
    response = await client.request(method, path)

    assert response.status_code == 200
    assert await _host_seen(upstream) == host


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/products"),
        ("PATCH", "/api/v1/products/8d9c2f0e"),
        ("DELETE", "/api/v1/products/8d9c2f0e"),
        ("POST", "/api/v1/orders"),
        ("GET", "/api/v1/orders/8d9c2f0e"),
        ("GET", "/api/v1/my-orders"),
        ("GET", "/api/v1/my-orders/stream"),
        ("GET", "/api/v1/deliveries"),
        ("POST", "/api/v1/deliveries/8d9c2f0e/start"),
        ("GET", "/api/v1/notifications"),
    ],
)
async def test_protected_routes_need_a_token(client: httpx2.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path)

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize(
    ("path", "host"),
    [
        ("/api/v1/orders", "fitshop-orders:8080"),
        ("/api/v1/my-orders", "fitshop-order-view:8080"),
        ("/api/v1/deliveries", "fitshop-delivery:8080"),
        ("/api/v1/notifications", "fitshop-notification:8080"),
    ],
)
async def test_tokens_signed_with_the_demo_key_pass(client: httpx2.AsyncClient, upstream: Running,
                                                    demo_key: SigningKey, path: str,
                                                    host: str) -> None:
    response = await client.get(path, headers={"Authorization": f"Bearer {demo_key.token()}"})

    assert response.status_code == 200
    assert await _host_seen(upstream) == host


async def test_tokens_living_longer_than_an_hour_are_refused(client: httpx2.AsyncClient, demo_key: SigningKey
                                                             ) -> None:
    token = demo_key.token(exp=int(time.time()) + 7200)
    response = await client.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.json() == {"exp": "exceeds maximum allowed expiration"}


async def test_anonymous_requests_are_counted_per_ip(client: httpx2.AsyncClient) -> None:
    response = await client.get("/api/v1/products")

    assert response.headers["x-ratelimit-limit-second"] == "50"
    assert response.headers["x-ratelimit-limit-minute"] == "1500"


async def test_authenticated_requests_are_counted_per_consumer(client: httpx2.AsyncClient, demo_key: SigningKey
                                                               ) -> None:
    response = await client.get("/api/v1/orders",
                                headers={"Authorization": f"Bearer {demo_key.token()}"})

    assert response.headers["x-ratelimit-limit-second"] == "200"
    assert response.headers["x-ratelimit-limit-minute"] == "6000"

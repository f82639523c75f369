"""The dev edge as a real process in front of a real upstream: Kong's observable behaviour."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.edge.conftest import EdgeFactory
from tests.integration.edge.edge_harness import (
    Running,
    SigningKey,
    free_port,
    hs256,
    mint,
    rs256,
)

JWT = {"key_claim_name": "kid", "claims_to_verify": ["exp"], "uri_param_names": [],
       "cookie_names": [], "header_names": ["authorization"]}
Seen = Callable[[], Awaitable[list[dict[str, Any]]]]
ALLOWED_ORIGIN = "http://localhost:8000"
MIB = 1024 * 1024


def gateway(signing_key: SigningKey, previous_key: SigningKey) -> dict[str, Any]:
    return {
        "_format_version": "3.0",
        "services": [
            {
                "name": "shop",
                "url": "http://fitshop-test:8080",
                "routes": [
                    {"name": "public", "paths": ["/public"], "strip_path": False},
                    {"name": "stripped", "paths": ["/strip"], "strip_path": True},
                    {"name": "orders", "paths": ["/api/v1/orders"], "strip_path": False,
                     "plugins": [{"name": "jwt", "config": JWT}]},
                    {"name": "stream", "paths": ["/api/v1/my-orders"], "strip_path": False,
                     "plugins": [{"name": "jwt", "config": JWT}]},
                    {"name": "limited", "paths": ["/limited"], "strip_path": False,
                     "plugins": [{"name": "rate-limiting",
                                  "config": {"hour": 3, "limit_by": "ip", "policy": "local"}}]},
                ],
            },
            {
                "name": "down",
                "url": "http://fitshop-down:8080",
                "routes": [{"name": "down", "paths": ["/down"], "strip_path": False}],
            },
        ],
        "consumers": [{"username": "fitshop-auth",
                       "jwt_secrets": [previous_key.jwt_secret(), signing_key.jwt_secret()]}],
        "plugins": [
            {"name": "correlation-id", "config": {"header_name": "Kong-Request-ID",
                                                  "generator": "uuid", "echo_downstream": True}},
            {"name": "cors", "config": {
                "origins": [ALLOWED_ORIGIN, "http://127.0.0.1:8108"],
                "headers": ["Authorization", "Content-Type", "Idempotency-Key"],
                "exposed_headers": ["Kong-Request-ID", "Retry-After"],
                "methods": ["GET", "POST", "OPTIONS"], "credentials": True, "max_age": 600}},
            {"name": "request-size-limiting",
             "config": {"allowed_payload_size": 1, "size_unit": "megabytes"}},
            {"name": "prometheus", "config": {"status_code_metrics": True,
                                              "latency_metrics": True}},
        ],
    }


@pytest.fixture(scope="module")
def edge(edge_factory: EdgeFactory, upstream: Running, signing_key: SigningKey,
         previous_key: SigningKey) -> Running:
    closed_port = free_port()  # nothing listens there
    return edge_factory(gateway(signing_key, previous_key), {
        "fitshop-test": upstream.url, "fitshop-down": f"http://127.0.0.1:{closed_port}",
    })


@pytest.fixture
async def client(edge: Running) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=edge.url, timeout=20) as http:
        yield http


@pytest.fixture
async def seen(upstream: Running) -> AsyncIterator[Seen]:
    """What reached the upstream during the test."""
    async with httpx2.AsyncClient(base_url=upstream.url, timeout=10) as http:
        await http.post("/__reset")

        async def requests() -> list[dict[str, Any]]:
            return list((await http.get("/__seen")).json())

        yield requests


async def test_routes_keep_the_path_unless_the_route_strips_it(client: httpx2.AsyncClient, seen: Seen) -> None:
    kept = await client.get("/public/items?color=red")
    stripped = await client.get("/strip/items")

    assert kept.status_code == 200 and stripped.status_code == 200
    first, second = await seen()
    assert (first["path"], first["query"]) == ("/public/items", "color=red")
    assert first["headers"]["host"] == "fitshop-test:8080"
    assert second["path"] == "/items"
    assert second["headers"]["x-forwarded-prefix"] == "/strip"


async def test_a_path_no_route_matches_answers_kongs_404(client: httpx2.AsyncClient, seen: Seen) -> None:
    response = await client.get("/nowhere")

    assert response.status_code == 404
    assert response.json()["message"] == "no Route matched with those values"
    assert await seen() == []


def _attacks(signing: SigningKey, stranger: SigningKey) -> dict[str, tuple[str, dict[str, Any]]]:
    """Tokens an attacker might send, with Kong 3.9's answer to each."""
    good_claims = signing.claims()
    tampered = signing.token().split(".")
    tampered[1] = mint({}, {**good_claims, "roles": ["seller"]}, None).split(".")[1]
    return {
        "wrong signature": (
            mint(signing.header(), good_claims, rs256(stranger.private_key)),
            {"message": "Invalid signature"},
        ),
        "alg none": (mint(signing.header(alg="none"), good_claims, None),
                     {"message": "Bad token; invalid alg"}),
        "HS256 signed with the public key": (
            mint(signing.header(alg="HS256"), good_claims, hs256(signing.public_pem().encode())),
            {"message": "Invalid algorithm"},
        ),
        "expired": (signing.token(exp=1_700_000_000), {"exp": "token expired"}),
        "unknown kid": (stranger.token(), {"message": "No credentials found for given 'kid'"}),
        "tampered payload": (".".join(tampered), {"message": "Invalid signature"}),
        "not a JWT": ("garbage", {"message": "Bad token; invalid JSON"}),
    }


async def test_no_token_is_refused_with_a_bearer_challenge(client: httpx2.AsyncClient, seen: Seen) -> None:
    response = await client.get("/api/v1/orders")

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.headers["www-authenticate"] == "Bearer"
    assert await seen() == []


@pytest.mark.parametrize(
    "attack", ["wrong signature", "alg none", "HS256 signed with the public key", "expired",
               "unknown kid", "tampered payload", "not a JWT"],
)
async def test_bad_tokens_are_refused_before_the_upstream(
    client: httpx2.AsyncClient, seen: Seen, signing_key: SigningKey, stranger_key: SigningKey, attack: str
) -> None:
    token, body = _attacks(signing_key, stranger_key)[attack]

    response = await client.get("/api/v1/orders", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.json() == body
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert await seen() == []


async def test_a_valid_token_reaches_the_upstream_with_consumer_and_correlation_headers(
    client: httpx2.AsyncClient, seen: Seen, signing_key: SigningKey
) -> None:
    token = signing_key.token()

    response = await client.post("/api/v1/orders", json={"lines": []},
                                 headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    (request,) = await seen()
    headers = request["headers"]
    assert headers["authorization"] == f"Bearer {token}"
    assert headers["x-consumer-username"] == "fitshop-auth"
    assert headers["x-credential-identifier"] == signing_key.kid
    assert "x-consumer-id" in headers
    assert headers["kong-request-id"] == response.headers["kong-request-id"]


async def test_tokens_of_the_previous_key_still_pass_during_a_rotation(
    client: httpx2.AsyncClient, previous_key: SigningKey
) -> None:
    response = await client.get("/api/v1/orders",
                                headers={"Authorization": f"Bearer {previous_key.token()}"})

    assert response.status_code == 200


async def test_a_correlation_id_from_the_client_is_kept_and_echoed(client: httpx2.AsyncClient, seen: Seen) -> None:
    response = await client.get("/public", headers={"Kong-Request-ID": "order-42-trace"})

    (request,) = await seen()
    assert request["headers"]["kong-request-id"] == "order-42-trace"
    assert response.headers["kong-request-id"] == "order-42-trace"


async def test_the_limit_answers_429_with_retry_after_and_ratelimit_headers(client: httpx2.AsyncClient, seen: Seen) -> None:
    answers = [await client.get("/limited") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers[:3]] == ["2", "1", "0"]
    refused = answers[3]
    assert refused.json()["message"] == "API rate limit exceeded"
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert refused.headers["ratelimit-limit"] == "3"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["x-ratelimit-limit-hour"] == "3"
    assert refused.headers["x-ratelimit-remaining-hour"] == "0"
    assert refused.headers["ratelimit-reset"] == refused.headers["retry-after"]
    assert len(await seen()) == 3


async def test_a_body_over_1_mib_is_refused_before_the_upstream(client: httpx2.AsyncClient, seen: Seen) -> None:
    response = await client.post("/public", content=b"x" * (2 * MIB))

    assert response.status_code == 413
    assert response.json()["message"] == "Request size limit exceeded"
    assert await seen() == []


async def test_a_chunked_body_over_1_mib_is_refused_before_the_upstream(client: httpx2.AsyncClient, seen: Seen) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(32):
            yield b"x" * (64 * 1024)

    response = await client.post("/public", content=chunks())

    assert response.status_code == 413
    assert await seen() == []


async def test_bodies_within_the_limit_stream_through(client: httpx2.AsyncClient, seen: Seen) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"y" * (64 * 1024)

    sized = await client.post("/public", content=b"x" * MIB)
    chunked = await client.post("/public", content=chunks())

    assert sized.status_code == 200 and chunked.status_code == 200
    assert [r["body_length"] for r in await seen()] == [MIB, MIB // 2]


async def test_a_cors_preflight_is_answered_by_the_edge(client: httpx2.AsyncClient, seen: Seen) -> None:
    response = await client.options("/api/v1/orders", headers={
        "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,idempotency-key",
    })

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-methods"] == "GET,POST,OPTIONS"
    assert response.headers["access-control-allow-headers"] == (
        "Authorization,Content-Type,Idempotency-Key")
    assert response.headers["access-control-max-age"] == "600"
    assert await seen() == []


async def test_cors_headers_name_only_allowed_origins(client: httpx2.AsyncClient) -> None:
    allowed = await client.get("/public", headers={"Origin": ALLOWED_ORIGIN})
    foreign = await client.get("/public", headers={"Origin": "https://evil.example"})

    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert allowed.headers["access-control-expose-headers"] == "Kong-Request-ID,Retry-After"
    assert "access-control-allow-origin" not in foreign.headers


async def test_refusals_carry_cors_and_correlation_headers_for_the_browser(client: httpx2.AsyncClient) -> None:
    response = await client.get("/api/v1/orders", headers={"Origin": ALLOWED_ORIGIN})

    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["kong-request-id"]


async def test_server_sent_events_pass_through_before_the_upstream_finishes(
    client: httpx2.AsyncClient, upstream: Running, signing_key: SigningKey
) -> None:
    headers = {"Authorization": f"Bearer {signing_key.token()}"}
    async with client.stream("GET", "/api/v1/my-orders/stream", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        lines = response.aiter_lines()
        first = await asyncio.wait_for(anext(lines), timeout=5)
        assert first == "data: first"
        # The upstream is still holding its response open: the event came through unbuffered.
        async with httpx2.AsyncClient(base_url=upstream.url) as direct:
            await direct.get("/__release")
        rest = [line async for line in lines]
    assert "data: second" in rest


async def test_an_unreachable_upstream_answers_502(client: httpx2.AsyncClient) -> None:
    response = await client.get("/down/anything")

    assert response.status_code == 502
    assert response.json()["message"] == "An invalid response was received from the upstream server"


async def test_prometheus_metrics_are_served_on_the_status_listener(client: httpx2.AsyncClient, edge: Running) -> None:
    await client.get("/public")

    assert edge.status_url is not None
    async with httpx2.AsyncClient(base_url=edge.status_url) as status:
        metrics = (await status.get("/metrics")).text

    samples = [s for family in text_string_to_metric_families(metrics) for s in family.samples]
    assert any(
        s.name == "kong_http_requests_total" and s.value >= 1
        and {k: s.labels[k] for k in ("service", "route", "code", "source")}
        == {"service": "shop", "route": "public", "code": "200", "source": "service"}
        for s in samples
    )
    assert any(s.name == "kong_request_latency_ms_bucket" for s in samples)

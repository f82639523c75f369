"""Client credentials: confidential clients get tokens as themselves; nobody else does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from fitshop_common.security import TokenVerifier
from fitshop_common.settings import JwtSettings
from tests.integration.auth.auth_process import LOADGEN_SECRET, AuthServer

GRANT = {"grant_type": "client_credentials"}


@pytest.fixture
async def verifier(auth_server: AuthServer) -> AsyncIterator[TokenVerifier]:
    verifier = TokenVerifier(JwtSettings(jwt_issuer=auth_server.issuer, jwt_audience="fitshop",
                                         jwks_url=f"{auth_server.issuer}/jwks.json"))
    yield verifier
    await verifier.aclose()


async def test_the_right_secret_over_http_basic_gets_a_token_for_the_client_itself(
        http: httpx2.AsyncClient, verifier: TokenVerifier) -> None:
    response = await http.post("/auth/token", data=GRANT, auth=("loadgen", LOADGEN_SECRET))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "shop"
    assert "refresh_token" not in body  # RFC 6749 §4.4.3
    principal = await verifier.verify(body["access_token"])
    assert principal.subject == "loadgen"
    assert principal.client_id == "loadgen"
    assert principal.roles == frozenset({"customer"})  # loadgen places orders
    assert principal.username is None


async def test_the_secret_may_also_come_in_the_form(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/token", data={
        **GRANT, "client_id": "loadgen", "client_secret": LOADGEN_SECRET})
    assert response.status_code == 200


async def test_a_wrong_secret_is_401_invalid_client_with_a_basic_challenge(
        http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/token", data=GRANT, auth=("loadgen", "guess"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_a_wrong_secret_in_the_form_is_refused_too(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/token", data={
        **GRANT, "client_id": "loadgen", "client_secret": "guess"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_an_unknown_client_is_invalid_client(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/token", data=GRANT, auth=("mallory", "x"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_a_public_client_cannot_use_client_credentials(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/token", data={**GRANT, "client_id": "fitshop-cli"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_a_public_client_cannot_pretend_to_have_a_secret(
        http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/token", data=GRANT, auth=("fitshop-cli", "anything"))
    assert response.status_code == 401


async def test_the_confidential_client_cannot_use_the_code_grant(
        http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/token", data={
        "grant_type": "authorization_code", "code": "x", "redirect_uri": "http://x/cb"},
        auth=("loadgen", LOADGEN_SECRET))
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


async def test_a_scope_the_client_does_not_hold_is_invalid_scope(
        http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/token", data={**GRANT, "scope": "admin"},
                               auth=("loadgen", LOADGEN_SECRET))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


async def test_an_unknown_grant_type_is_unsupported_grant_type(
        http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/token", data={
        "grant_type": "password", "username": "alice", "password": "alice-pass",
        "client_id": "fitshop-cli"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_a_repeated_parameter_is_invalid_request(http: httpx2.AsyncClient) -> None:
    response = await http.post(
        "/auth/token", content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=("loadgen", LOADGEN_SECRET))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_a_repeated_parameter_with_a_name_outside_ascii_is_invalid_request_too(
        http: httpx2.AsyncClient) -> None:
    response = await http.post(
        "/auth/token", content="grant_type=client_credentials&\u00e4=1&\u00e4=2".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=("loadgen", LOADGEN_SECRET))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request",
                               "error_description": "A parameter is repeated."}


async def test_a_json_body_is_answered_in_the_oauth_error_format(
        http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/token", json={"grant_type": "client_credentials"},
                               auth=("loadgen", LOADGEN_SECRET))
    assert response.status_code == 400
    assert "error" in response.json()

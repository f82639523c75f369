"""Authorization code + PKCE, scripted without a browser, against the served app."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx2
import pytest

from fitshop_common.security import TokenVerifier
from fitshop_common.settings import JwtSettings
from tests.integration.auth.auth_process import CLI_CALLBACK, WEB_CALLBACK, AuthServer
from tests.integration.auth.oauth_client import (
    AuthorizationRequest,
    exchange_code,
    form_inputs,
    log_in_for_code,
    open_form,
    redirect_params,
    submit_login,
)


@pytest.fixture
async def verifier(auth_server: AuthServer) -> AsyncIterator[TokenVerifier]:
    """How every other service checks our tokens: against the served JWKS."""
    verifier = TokenVerifier(JwtSettings(jwt_issuer=auth_server.issuer, jwt_audience="fitshop",
                                         jwks_url=f"{auth_server.issuer}/jwks.json"))
    yield verifier
    await verifier.aclose()


def claims_of(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "==="))
    return decoded


def header_of(token: str) -> dict[str, object]:
    head = token.split(".")[0]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(head + "==="))
    return decoded


async def test_the_authorize_page_is_a_login_form_carrying_the_request_in_hidden_inputs(
        http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest()
    response = await open_form(http, request)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    form = form_inputs(response.text)
    assert dict(form.hidden) == request.query()
    assert {"username", "password"} <= set(form.fields)


async def test_the_full_pkce_flow_yields_an_rs256_token_every_service_accepts(
        http: httpx2.AsyncClient, auth_server: AuthServer, verifier: TokenVerifier) -> None:
    request = AuthorizationRequest()
    form = await open_form(http, request)
    redirect = await submit_login(http, form.text, "alice", "alice-pass")

    target, params = redirect_params(redirect)
    assert target == CLI_CALLBACK
    assert params["state"] == request.state
    assert set(params) == {"code", "state"}

    response = await exchange_code(http, request, params["code"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["scope"] == "shop"
    assert body["refresh_token"]

    token = body["access_token"]
    principal = await verifier.verify(token)
    assert principal.roles == frozenset({"customer"})
    assert principal.username == "alice"
    assert principal.client_id == "fitshop-cli"

    header, claims = header_of(token), claims_of(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == "2026-01-01-a"
    assert claims["iss"] == auth_server.issuer
    assert claims["aud"] == "fitshop"
    assert claims["sub"] == principal.subject
    assert claims["preferred_username"] == "alice"
    assert claims["email"] == "alice@fitshop.test"
    assert claims["roles"] == ["customer"]
    assert claims["scope"] == "shop"
    assert claims["client_id"] == "fitshop-cli"
    assert claims["exp"] == claims["iat"] + 600  # type: ignore[operator]
    assert claims["nbf"] == claims["iat"]
    assert isinstance(claims["jti"], str) and claims["jti"]


async def test_the_seller_gets_the_seller_role(http: httpx2.AsyncClient,
                                               verifier: TokenVerifier) -> None:
    request = AuthorizationRequest()
    code = await log_in_for_code(http, request, "seller", "seller-pass")
    token = (await exchange_code(http, request, code)).json()["access_token"]
    assert (await verifier.verify(token)).roles == frozenset({"seller"})


async def test_every_token_has_its_own_jti(http: httpx2.AsyncClient) -> None:
    jtis = set()
    for _ in range(2):
        request = AuthorizationRequest()
        code = await log_in_for_code(http, request, "bob", "bob-pass")
        jtis.add(claims_of((await exchange_code(http, request, code)).json()["access_token"])["jti"])
    assert len(jtis) == 2


async def test_the_web_client_uses_its_configured_redirect_uri(http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest(client_id="fitshop-web", redirect_uri=WEB_CALLBACK)
    code = await log_in_for_code(http, request)
    assert (await exchange_code(http, request, code)).status_code == 200


async def test_a_wrong_code_verifier_is_invalid_grant(http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest()
    code = await log_in_for_code(http, request)
    other = AuthorizationRequest()
    response = await exchange_code(http, request, code, code_verifier=other.verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_presenting_the_challenge_itself_as_a_plain_verifier_is_invalid_grant(
        http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest()
    code = await log_in_for_code(http, request)
    response = await exchange_code(http, request, code, code_verifier=request.challenge)
    assert response.json()["error"] == "invalid_grant"


async def test_a_missing_code_verifier_is_refused(http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest()
    code = await log_in_for_code(http, request)
    response = await http.post("/auth/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": "fitshop-cli",
        "redirect_uri": CLI_CALLBACK})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_the_plain_method_is_refused_at_the_authorization_endpoint(
        http: httpx2.AsyncClient) -> None:
    # RFC 7636 §4.4.1: the client and redirect URI are valid, so the error goes back to it.
    request = AuthorizationRequest()
    response = await open_form(http, request, code_challenge_method="plain",
                               code_challenge=request.verifier)
    target, params = redirect_params(response)
    assert target == CLI_CALLBACK
    assert params["error"] == "invalid_request"
    assert params["state"] == request.state
    assert "code" not in params


async def test_an_authorization_request_without_pkce_is_refused(
        http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest()
    response = await open_form(http, request, code_challenge=None, code_challenge_method=None)
    _, params = redirect_params(response)
    assert params["error"] == "invalid_request"


async def test_a_code_works_once_and_its_replay_revokes_the_tokens_it_produced(
        http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest()
    code = await log_in_for_code(http, request)
    first = await exchange_code(http, request, code)
    assert first.status_code == 200

    replay = await exchange_code(http, request, code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"

    # RFC 6749 §4.1.2: tokens issued from a replayed code are revoked
    refreshed = await http.post("/auth/token", data={
        "grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"],
        "client_id": "fitshop-cli"})
    assert refreshed.json()["error"] == "invalid_grant"


async def test_a_code_is_bound_to_the_redirect_uri_it_was_issued_for(
        http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest()
    code = await log_in_for_code(http, request)
    response = await exchange_code(http, request, code,
                                   redirect_uri="http://127.0.0.1:8976/other")
    assert response.json()["error"] == "invalid_grant"


async def test_a_code_is_bound_to_the_client_it_was_issued_to(
        http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest()
    code = await log_in_for_code(http, request)
    response = await exchange_code(http, request, code, client_id="fitshop-web")
    assert response.json()["error"] == "invalid_grant"


async def test_an_unknown_code_is_invalid_grant(http: httpx2.AsyncClient) -> None:
    response = await exchange_code(http, AuthorizationRequest(), "no-such-code")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_the_state_comes_back_exactly_as_sent(http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest(state="ünïcode & spaces/?=")
    form = await open_form(http, request)
    _, params = redirect_params(await submit_login(http, form.text, "alice", "alice-pass"))
    assert params["state"] == "ünïcode & spaces/?="

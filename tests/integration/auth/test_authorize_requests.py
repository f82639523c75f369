"""Which authorization requests get the login form, which are sent back, which are refused outright."""

from __future__ import annotations

import httpx2
import pytest

from tests.integration.auth.auth_process import CLI_CALLBACK
from tests.integration.auth.oauth_client import (
    AuthorizationRequest,
    form_inputs,
    open_form,
    redirect_params,
)

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.mark.parametrize("redirect_uri", [
    "http://127.0.0.1:8976/callback/",
    "http://127.0.0.1:8976/callback?next=/admin",
    "http://127.0.0.1:8976/Callback",
    "http://localhost:8976/callback",
    "http://127.0.0.1:8977/callback",
    "https://127.0.0.1:8976/callback",
    "http://127.0.0.1:8976/callback.evil.example",
    "http://evil.example/callback",
])
async def test_a_redirect_uri_that_is_not_exactly_registered_is_refused_not_redirected(
        http: httpx2.AsyncClient, redirect_uri: str) -> None:
    response = await open_form(http, AuthorizationRequest(redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 400


async def test_a_browser_is_shown_an_error_page_for_an_unknown_client(
        http: httpx2.AsyncClient) -> None:
    response = await http.get("/auth/authorize", headers=HTML,
                              params=AuthorizationRequest(client_id="mallory-app").query())
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "not valid" in response.text
    assert form_inputs(response.text).fields == []  # no login form for an unknown client


async def test_a_script_is_told_why_an_unknown_client_is_refused(
        http: httpx2.AsyncClient) -> None:
    response = await open_form(http, AuthorizationRequest(client_id="mallory-app"))
    assert response.status_code == 400
    body = response.json()
    assert body["type"].endswith("/invalid_client")
    assert "client" in body["detail"]


async def test_a_missing_redirect_uri_is_refused_rather_than_guessed(
        http: httpx2.AsyncClient) -> None:
    response = await open_form(http, AuthorizationRequest(), redirect_uri=None)
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_a_repeated_parameter_is_refused(http: httpx2.AsyncClient) -> None:
    query = [*AuthorizationRequest().query().items(), ("client_id", "fitshop-web")]
    response = await http.get("/auth/authorize", params=query)
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_an_unsupported_response_type_goes_back_to_the_client_with_the_state(
        http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest()
    target, params = redirect_params(await open_form(http, request, response_type="token"))
    assert target == CLI_CALLBACK
    assert params == {"error": "unsupported_response_type", "state": request.state,
                      "error_description": params["error_description"]}


async def test_an_unknown_scope_goes_back_to_the_client_as_invalid_scope(
        http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest(scope="shop admin")
    _, params = redirect_params(await open_form(http, request))
    assert params["error"] == "invalid_scope"
    assert params["state"] == request.state


async def test_a_client_without_the_code_grant_cannot_use_the_login_form(
        http: httpx2.AsyncClient) -> None:
    # loadgen is machine-only (client_credentials) and has no redirect URI at all
    response = await open_form(http, AuthorizationRequest(client_id="loadgen"))
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_a_posted_form_with_a_swapped_redirect_uri_is_refused_before_any_login(
        http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest()
    form = await open_form(http, request)
    hidden = dict(form_inputs(form.text).hidden)
    hidden["redirect_uri"] = "http://evil.example/callback"
    response = await http.post("/auth/authorize",
                               data={**hidden, "username": "alice", "password": "alice-pass"})
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_a_posted_form_downgraded_to_plain_pkce_gets_no_code(
        http: httpx2.AsyncClient) -> None:
    request = AuthorizationRequest()
    form = await open_form(http, request)
    hidden = dict(form_inputs(form.text).hidden)
    hidden.update(code_challenge_method="plain", code_challenge=request.verifier)
    response = await http.post("/auth/authorize",
                               data={**hidden, "username": "alice", "password": "alice-pass"})
    _, params = redirect_params(response)
    assert params["error"] == "invalid_request"
    assert "code" not in params

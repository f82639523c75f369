"""Hostile or malformed input is a 4xx (or the login form again), never a 500."""

from __future__ import annotations

import httpx2
import pytest

from tests.integration.auth.oauth_client import AuthorizationRequest, form_inputs, open_form

NUL = "a\x00b"


@pytest.mark.parametrize("field", ["client_id", "redirect_uri", "state", "scope",
                                   "code_challenge", "response_type"])
async def test_control_characters_in_an_authorization_request(
        http: httpx2.AsyncClient, field: str) -> None:
    response = await open_form(http, AuthorizationRequest(), **{field: NUL})
    assert response.status_code < 500


async def test_control_characters_in_the_credentials(http: httpx2.AsyncClient) -> None:
    form = await open_form(http, AuthorizationRequest())
    hidden = dict(form_inputs(form.text).hidden)
    response = await http.post("/auth/authorize", data={
        **hidden, "username": NUL, "password": NUL}, headers={"X-Forwarded-For": "192.0.2.77"})
    assert response.status_code == 200
    assert "Incorrect username or password." in response.text


@pytest.mark.parametrize("field", ["client_id", "code", "code_verifier", "redirect_uri",
                                   "refresh_token", "client_secret", "grant_type", "scope"])
async def test_control_characters_at_the_token_endpoint(
        http: httpx2.AsyncClient, field: str) -> None:
    data = {"grant_type": "authorization_code", "client_id": "fitshop-cli", "code": "x",
            "code_verifier": "v" * 43, "redirect_uri": "http://127.0.0.1:8976/callback",
            field: NUL}
    response = await http.post("/auth/token", data=data)
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


async def test_a_nul_in_http_basic_credentials(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/token", data={"grant_type": "client_credentials"},
                               auth=(NUL, NUL))
    assert response.status_code == 401


async def test_control_characters_at_sign_up(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/signup", json={
        "username": "nul-user", "password": "deadlift-200kg", "email": f"{NUL}@fitshop.test"})
    assert response.status_code == 422


async def test_a_nul_in_the_revocation_request(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/revoke", data={"token": NUL, "client_id": NUL})
    assert 200 <= response.status_code < 500


async def test_a_non_ascii_redirect_uri_is_refused_not_redirected(
        http: httpx2.AsyncClient) -> None:
    response = await open_form(http, AuthorizationRequest(),
                               redirect_uri="http://127.0.0.1:8976/callbäck")
    assert response.status_code == 400
    assert "location" not in response.headers

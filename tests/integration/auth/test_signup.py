"""Sign-up: new customers, taken usernames, and weak or invalid input (RFC 9457 problems)."""

from __future__ import annotations

from itertools import count

import httpx2

from tests.integration.auth.oauth_client import tokens_for

_n = count(1)


def new_name() -> str:
    return f"lifter{next(_n)}"


async def test_signing_up_creates_a_customer_who_can_then_log_in(
        http: httpx2.AsyncClient) -> None:
    username = new_name()
    response = await http.post("/auth/signup", json={
        "username": username, "password": "deadlift-200kg", "email": f"{username}@fitshop.test"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["username"] == username
    assert body["roles"] == ["customer"]
    assert "password" not in body and "password_hash" not in body

    tokens = await tokens_for(http, username, "deadlift-200kg")
    assert tokens["access_token"]


async def test_a_taken_username_is_409_whatever_its_case(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/signup", json={
        "username": "Alice", "password": "another-pass-1", "email": "a2@fitshop.test"})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 409


async def test_a_weak_password_is_422_naming_the_field(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/signup", json={
        "username": new_name(), "password": "password123", "email": "x@fitshop.test"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == "password"


async def test_every_invalid_field_is_reported_at_once(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/signup", json={
        "username": "x", "password": "short", "email": "not-an-email"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"username", "password", "email"}


async def test_a_missing_field_is_422_naming_it(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/signup", json={"username": new_name(),
                                                     "password": "deadlift-200kg"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["email"]


async def test_nobody_can_sign_up_as_a_seller(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/signup", json={
        "username": new_name(), "password": "deadlift-200kg", "email": "s@fitshop.test",
        "roles": ["seller"]})
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"


async def test_malformed_json_is_400(http: httpx2.AsyncClient) -> None:
    response = await http.post("/auth/signup", content=b"{not json",
                               headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_refused_sign_up_leaves_nothing_behind(http: httpx2.AsyncClient) -> None:
    username = new_name()
    refused = await http.post("/auth/signup", json={
        "username": username, "password": "12345678", "email": "r@fitshop.test"})
    assert refused.status_code == 422
    accepted = await http.post("/auth/signup", json={
        "username": username, "password": "bench-press-100", "email": "r@fitshop.test"})
    assert accepted.status_code == 201

"""The login form: generic failures (no account enumeration) and throttling per username+address."""

from __future__ import annotations

import asyncio
import re
from itertools import count

import httpx2

from tests.integration.auth.oauth_client import (
    AuthorizationRequest,
    form_inputs,
    open_form,
    redirect_params,
    submit_login,
)

_addresses = count(10)


def an_address() -> dict[str, str]:
    """A distinct client address per test (the test runner is a trusted proxy on loopback)."""
    return {"X-Forwarded-For": f"198.51.100.{next(_addresses)}"}


async def a_form(http: httpx2.AsyncClient) -> str:
    response = await open_form(http, AuthorizationRequest())
    assert response.status_code == 200
    return response.text


def without_username(page: str, username: str) -> str:
    return page.replace(f'value="{username}"', 'value=""')


async def test_a_wrong_password_shows_the_form_again_with_a_generic_message(
        http: httpx2.AsyncClient) -> None:
    form = await a_form(http)
    response = await submit_login(http, form, "alice", "not-alices", an_address())
    assert response.status_code == 200
    assert "Incorrect username or password." in response.text
    again = form_inputs(response.text)
    assert again.hidden == form_inputs(form).hidden  # the request survives the retry
    assert 'value="alice"' in response.text


async def test_an_unknown_user_gets_exactly_the_answer_a_wrong_password_gets(
        http: httpx2.AsyncClient) -> None:
    form = await a_form(http)
    address = an_address()
    wrong_password = await submit_login(http, form, "alice", "not-alices", address)
    unknown_user = await submit_login(http, form, "nobody-here", "not-alices", address)
    assert unknown_user.status_code == wrong_password.status_code == 200
    assert without_username(unknown_user.text, "nobody-here") == \
        without_username(wrong_password.text, "alice")


async def test_empty_credentials_ask_for_both_fields(http: httpx2.AsyncClient) -> None:
    response = await submit_login(http, await a_form(http), "", "", an_address())
    assert response.status_code == 200
    assert "Enter your username and password." in response.text


async def test_five_failures_throttle_the_sixth_attempt_even_with_the_right_password(
        http: httpx2.AsyncClient) -> None:
    form, address = await a_form(http), an_address()
    for _ in range(5):
        assert (await submit_login(http, form, "bob", "wrong", address)).status_code == 200
    blocked = await submit_login(http, form, "bob", "bob-pass", address)
    assert blocked.status_code == 429
    assert blocked.headers["content-type"] == "application/problem+json"
    retry_after = int(blocked.headers["retry-after"])
    assert 0 < retry_after <= 300
    assert blocked.json()["status"] == 429
    assert "location" not in blocked.headers


async def test_a_throttled_browser_sees_the_form_with_the_wait_and_a_429(
        http: httpx2.AsyncClient) -> None:
    form = await a_form(http)
    headers = {**an_address(), "Accept": "text/html"}
    for _ in range(5):
        await submit_login(http, form, "bob", "wrong", headers)
    blocked = await submit_login(http, form, "bob", "wrong", headers)
    assert blocked.status_code == 429
    assert blocked.headers["content-type"].startswith("text/html")
    assert re.search(r"Try again in \d+ seconds", blocked.text)
    assert form_inputs(blocked.text).hidden == form_inputs(form).hidden
    assert "retry-after" in blocked.headers


async def test_throttling_one_address_leaves_the_user_free_elsewhere(
        http: httpx2.AsyncClient) -> None:
    form, attacker = await a_form(http), an_address()
    for _ in range(6):
        await submit_login(http, form, "seller", "guess", attacker)
    assert (await submit_login(http, form, "seller", "seller-pass", attacker)).status_code == 429
    response = await submit_login(http, form, "seller", "seller-pass", an_address())
    assert response.status_code == 302


async def test_unknown_usernames_are_throttled_too(http: httpx2.AsyncClient) -> None:
    form, address = await a_form(http), an_address()
    for _ in range(5):
        await submit_login(http, form, "nobody-at-all", "guess", address)
    assert (await submit_login(http, form, "nobody-at-all", "x", address)).status_code == 429


async def test_parallel_guesses_cannot_slip_past_the_limit(http: httpx2.AsyncClient) -> None:
    form, address = await a_form(http), an_address()
    answers = await asyncio.gather(*(submit_login(http, form, "alice", f"guess-{i}", address)
                                     for i in range(12)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) == 5  # exactly five were allowed to check a password
    assert statuses.count(429) == 7


async def test_a_success_forgets_earlier_failures(http: httpx2.AsyncClient) -> None:
    form, address = await a_form(http), an_address()
    for _ in range(4):
        await submit_login(http, form, "alice", "wrong", address)
    redirect_params(await submit_login(http, form, "alice", "alice-pass", address))
    for _ in range(4):  # four more failures are fine: the count restarted
        assert (await submit_login(http, form, "alice", "wrong", address)).status_code == 200


async def test_usernames_are_case_insensitive_at_login(http: httpx2.AsyncClient) -> None:
    response = await submit_login(http, await a_form(http), "ALICE", "alice-pass", an_address())
    assert response.status_code == 302

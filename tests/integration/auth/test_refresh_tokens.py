"""Refresh tokens: rotation on every use, reuse detection that revokes the family, revocation."""

from __future__ import annotations

import asyncio

import httpx2

from tests.integration.auth.oauth_client import refresh, tokens_for


async def test_every_refresh_returns_a_new_refresh_token_and_a_new_access_token(
        http: httpx2.AsyncClient) -> None:
    tokens = await tokens_for(http)
    seen = {tokens["refresh_token"]}
    for _ in range(3):
        response = await refresh(http, tokens["refresh_token"])
        assert response.status_code == 200, response.text
        fresh = response.json()
        assert fresh["token_type"] == "Bearer"
        assert fresh["access_token"] != tokens["access_token"]
        assert fresh["refresh_token"] not in seen
        seen.add(fresh["refresh_token"])
        tokens = fresh


async def test_a_rotated_refresh_token_is_refused_and_revokes_the_whole_family(
        http: httpx2.AsyncClient) -> None:
    first = await tokens_for(http)
    second = (await refresh(http, first["refresh_token"])).json()

    reuse = await refresh(http, first["refresh_token"])
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"

    # the legitimate holder's newest token died with the family
    newest = await refresh(http, second["refresh_token"])
    assert newest.status_code == 400
    assert newest.json()["error"] == "invalid_grant"


async def test_reuse_in_one_family_leaves_the_users_other_sessions_alone(
        http: httpx2.AsyncClient) -> None:
    laptop = await tokens_for(http, "bob", "bob-pass")
    phone = await tokens_for(http, "bob", "bob-pass")
    await refresh(http, laptop["refresh_token"])
    await refresh(http, laptop["refresh_token"])  # reuse: laptop's family is revoked
    assert (await refresh(http, phone["refresh_token"])).status_code == 200


async def test_two_racing_refreshes_with_one_token_cannot_both_win(
        http: httpx2.AsyncClient) -> None:
    tokens = await tokens_for(http)
    a, b = await asyncio.gather(refresh(http, tokens["refresh_token"]),
                                refresh(http, tokens["refresh_token"]))
    assert sorted([a.status_code, b.status_code]) == [200, 400]
    winner = a if a.status_code == 200 else b
    # the loser's attempt was a reuse, so the winner's successor is revoked too
    assert (await refresh(http, winner.json()["refresh_token"])).status_code == 400


async def test_a_refresh_token_only_works_for_the_client_it_was_issued_to(
        http: httpx2.AsyncClient) -> None:
    tokens = await tokens_for(http)
    response = await refresh(http, tokens["refresh_token"], client_id="fitshop-web")
    assert response.json()["error"] == "invalid_grant"
    assert (await refresh(http, tokens["refresh_token"])).status_code == 200


async def test_an_unknown_refresh_token_is_invalid_grant(http: httpx2.AsyncClient) -> None:
    response = await refresh(http, "made-up-token")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_a_revoked_refresh_token_can_no_longer_be_used(http: httpx2.AsyncClient) -> None:
    tokens = await tokens_for(http)
    revoked = await http.post("/auth/revoke", data={"token": tokens["refresh_token"],
                                                    "client_id": "fitshop-cli"})
    assert revoked.status_code == 200
    assert (await refresh(http, tokens["refresh_token"])).json()["error"] == "invalid_grant"


async def test_revoking_an_unknown_token_is_answered_200(http: httpx2.AsyncClient) -> None:
    # RFC 7009 §2.2: an invalid token is no error, there is nothing left to revoke
    response = await http.post("/auth/revoke", data={"token": "never-issued",
                                                     "client_id": "fitshop-cli"})
    assert response.status_code == 200


async def test_a_client_cannot_revoke_another_clients_refresh_token(
        http: httpx2.AsyncClient) -> None:
    tokens = await tokens_for(http)
    response = await http.post("/auth/revoke", data={"token": tokens["refresh_token"],
                                                     "client_id": "fitshop-web"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert (await refresh(http, tokens["refresh_token"])).status_code == 200

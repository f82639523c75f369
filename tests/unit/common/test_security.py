"""Every service checks bearer tokens itself: RS256 only, issuer, audience, time, known key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from litestar import get
from litestar.di import NamedDependency
from litestar.testing import AsyncTestClient

from fitshop_common.app import create_service_app
from fitshop_common.errors import Unauthorized
from fitshop_common.security import JwksCache, Principal, TokenVerifier, require_role
from fitshop_common.settings import JwtSettings, ServiceSettings
from tests.support.tokens import (
    ISSUER,
    JwksServer,
    Signer,
    hs256_with_public_key,
    tampered,
    unsigned_token,
)

SIGNER = Signer()
OTHER = Signer()  # a key the issuer never published


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with JwksServer(SIGNER).running() as server:
        yield server


def verifier_for(jwks: JwksServer, **overrides: object) -> TokenVerifier:
    settings = JwtSettings(
        jwks_url=jwks.url,
        jwt_issuer=ISSUER,
        jwt_audience="fitshop",
        jwks_min_refresh_seconds=0,
        **overrides,
    )  # type: ignore[arg-type]
    return TokenVerifier(settings)


async def test_a_valid_token_names_the_caller_and_roles(jwks: JwksServer) -> None:
    principal = await verifier_for(jwks).verify(SIGNER.token("alice", ["customer"]))
    assert principal == Principal(subject="alice", roles=frozenset({"customer"}), username="alice")


def _now() -> int:
    return int(time.time())


ATTACKS = {
    "expired": lambda: SIGNER.token(exp=_now() - 120, iat=_now() - 600, nbf=_now() - 600),
    "not yet valid": lambda: SIGNER.token(nbf=_now() + 600),
    "wrong signature": lambda: (
        SIGNER.token().rsplit(".", 1)[0] + "." + OTHER.token().rsplit(".", 1)[1]
    ),
    "alg none": lambda: unsigned_token(SIGNER.claims("alice", ["seller"]), SIGNER.kid),
    "HS256 keyed with the public key": lambda: hs256_with_public_key(
        SIGNER, SIGNER.claims("alice", ["seller"])
    ),
    "wrong issuer": lambda: SIGNER.token(iss="http://evil.example/auth"),
    "wrong audience": lambda: SIGNER.token(aud="someone-else"),
    "unknown kid": lambda: OTHER.token(),
    "tampered payload": lambda: tampered(SIGNER.token(roles=["customer"]), roles=["seller"]),
    "no subject": lambda: SIGNER.token(sub=None),
    "garbage": lambda: "not.a.jwt",
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_forged_or_unfit_tokens_are_refused(jwks: JwksServer, attack: str) -> None:
    with pytest.raises(Unauthorized):
        await verifier_for(jwks).verify(ATTACKS[attack]())


async def test_a_new_signing_key_is_picked_up_without_restart(jwks: JwksServer) -> None:
    verifier = verifier_for(jwks)
    await verifier.verify(SIGNER.token())
    rotated = Signer()
    jwks.signers.append(rotated)
    try:
        principal = await verifier.verify(rotated.token("bob"))
    finally:
        jwks.signers.remove(rotated)
    assert principal.subject == "bob"


async def test_unknown_kids_do_not_hammer_the_issuer(jwks: JwksServer) -> None:
    cache = JwksCache(jwks.url, min_refresh_seconds=60)
    verifier = TokenVerifier(JwtSettings(jwks_url=jwks.url, jwt_issuer=ISSUER), cache)
    await verifier.verify(SIGNER.token())
    before = jwks.fetches
    for _ in range(20):
        with pytest.raises(Unauthorized):
            await verifier.verify(OTHER.token())
    assert jwks.fetches == before  # refresh at most once a minute


def counting_checks(verifier: TokenVerifier) -> list[str]:
    """Wrap the verifier's full check (signature and claims) to count how often it runs."""
    checked: list[str] = []
    full_check = verifier._check

    async def check(token: str) -> tuple[Principal, float]:
        checked.append(token)
        return await full_check(token)

    verifier._check = check  # type: ignore[method-assign]
    return checked


async def test_a_token_seen_before_is_not_verified_again(jwks: JwksServer) -> None:
    verifier = verifier_for(jwks)
    checked = counting_checks(verifier)
    token = SIGNER.token("alice", ["customer"])
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first
    assert await verifier.verify(SIGNER.token("bob", ["customer"])) != first
    assert len(checked) == 2  # alice once, bob once


async def test_a_remembered_token_still_expires_on_time(jwks: JwksServer) -> None:
    verifier = verifier_for(jwks, jwt_leeway_seconds=0)
    checked = counting_checks(verifier)
    token = SIGNER.token(exp=_now() + 1)
    await verifier.verify(token)
    await asyncio.sleep(1.1)
    with pytest.raises(Unauthorized):
        await verifier.verify(token)
    assert len(checked) == 2


async def test_refusals_are_never_remembered(jwks: JwksServer) -> None:
    verifier = verifier_for(jwks)
    checked = counting_checks(verifier)
    forged = ATTACKS["tampered payload"]()
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await verifier.verify(forged)
    assert len(checked) == 2


async def test_a_token_is_remembered_for_a_bounded_time(
    jwks: JwksServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = verifier_for(jwks)
    checked = counting_checks(verifier)
    token = SIGNER.token(exp=_now() + 3600)
    await verifier.verify(token)
    later = time.time() + TokenVerifier.REMEMBER_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    await verifier.verify(token)
    assert len(checked) == 2  # checked again after REMEMBER_SECONDS, though valid for an hour


@get("/seller-only", guards=[require_role("seller")])
async def seller_only(principal: NamedDependency[Principal]) -> dict[str, str]:
    return {"sub": principal.subject}


@get("/me")
async def me(principal: NamedDependency[Principal]) -> dict[str, str]:
    return {"sub": principal.subject}


async def test_guards_answer_401_without_token_and_403_for_a_wrong_role(jwks: JwksServer) -> None:
    app = create_service_app(
        settings=ServiceSettings(service_name="guard-test"),
        route_handlers=[seller_only, me],
        token_verifier=verifier_for(jwks),
    )
    async with AsyncTestClient(app) as client:
        no_token = await client.get("/seller-only")
        customer = await client.get(
            "/seller-only",
            headers={"Authorization": f"Bearer {SIGNER.token('alice', ['customer'])}"},
        )
        seller = await client.get(
            "/seller-only", headers={"Authorization": f"Bearer {SIGNER.token('sam', ['seller'])}"}
        )
        bad = await client.get("/me", headers={"Authorization": f"Bearer {OTHER.token()}"})
    assert (no_token.status_code, customer.status_code, seller.status_code, bad.status_code) == (
        401,
        403,
        200,
        401,
    )
    assert no_token.headers["www-authenticate"].startswith("Bearer")
    assert seller.json() == {"sub": "sam"}

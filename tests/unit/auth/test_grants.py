"""Authorization codes and refresh-token families: expiry, single use, rotation, reuse."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from auth.domain.grants import (
    AuthorizationCode,
    CodeState,
    RefreshFamily,
    RefreshState,
    RefreshToken,
    fingerprint,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
USER = uuid4()


def a_code(**overrides: object) -> AuthorizationCode:
    code = AuthorizationCode.issue(
        "the-code", client_id="fitshop-web", user_id=USER,
        redirect_uri="http://127.0.0.1:8000/callback", scope="shop",
        code_challenge="c" * 43, code_challenge_method="S256", now=NOW,
        ttl=timedelta(seconds=120))
    return replace(code, **overrides)  # type: ignore[arg-type]


def test_codes_are_stored_as_fingerprints_not_in_clear() -> None:
    code = a_code()
    assert code.code_hash == fingerprint("the-code") != "the-code"
    assert len(code.code_hash) == 64


def test_a_fresh_code_is_usable_by_the_client_it_was_issued_to() -> None:
    assert a_code().state_for("fitshop-web", NOW + timedelta(seconds=119)) is CodeState.USABLE


def test_a_code_expires_after_its_ttl() -> None:
    assert a_code().state_for("fitshop-web", NOW + timedelta(seconds=120)) is CodeState.EXPIRED


def test_a_code_is_bound_to_its_client() -> None:
    assert a_code().state_for("fitshop-cli", NOW) is CodeState.WRONG_CLIENT


def test_a_consumed_code_counts_as_replayed_even_after_expiry_or_from_another_client() -> None:
    used = a_code().consume(NOW)
    assert used.state_for("fitshop-web", NOW) is CodeState.REPLAYED
    assert used.state_for("fitshop-web", NOW + timedelta(hours=1)) is CodeState.REPLAYED
    assert used.state_for("fitshop-cli", NOW) is CodeState.REPLAYED


def a_family(**overrides: object) -> RefreshFamily:
    family = RefreshFamily(uuid4(), "fitshop-web", USER, fingerprint("the-code"), NOW)
    return replace(family, **overrides)  # type: ignore[arg-type]


def a_token(family: RefreshFamily | None = None) -> RefreshToken:
    return RefreshToken.first("refresh-1", family or a_family(), scope="shop", now=NOW,
                              ttl=timedelta(days=14))


def test_a_new_refresh_token_is_active_until_it_expires() -> None:
    token = a_token()
    assert token.state_for("fitshop-web", NOW + timedelta(days=13)) is RefreshState.ACTIVE
    assert token.state_for("fitshop-web", NOW + timedelta(days=14)) is RefreshState.EXPIRED


def test_a_refresh_token_is_bound_to_its_client() -> None:
    assert a_token().state_for("fitshop-cli", NOW) is RefreshState.WRONG_CLIENT


def test_rotation_spends_the_token_and_issues_a_successor_in_the_same_family() -> None:
    token = a_token()
    later = NOW + timedelta(minutes=10)
    spent, successor = token.rotate("refresh-2", now=later, ttl=timedelta(days=14))
    assert spent.rotated_at == later
    assert successor.family == token.family
    assert successor.token_hash == fingerprint("refresh-2") != token.token_hash
    assert successor.expires_at == later + timedelta(days=14)
    assert successor.state_for("fitshop-web", later) is RefreshState.ACTIVE


def test_presenting_a_rotated_token_is_reuse() -> None:
    spent, _ = a_token().rotate("refresh-2", now=NOW, ttl=timedelta(days=14))
    assert spent.state_for("fitshop-web", NOW) is RefreshState.REUSED


def test_every_token_of_a_revoked_family_is_refused() -> None:
    token = a_token(a_family(revoked_at=NOW))
    assert token.state_for("fitshop-web", NOW) is RefreshState.REVOKED


def test_only_an_active_token_can_be_rotated() -> None:
    spent, _ = a_token().rotate("refresh-2", now=NOW, ttl=timedelta(days=14))
    with pytest.raises(ValueError, match="active"):
        spent.rotate("refresh-3", now=NOW, ttl=timedelta(days=14))

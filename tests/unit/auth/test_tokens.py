"""Access-token claims for users and for clients acting as themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from auth.domain.accounts import Role, User
from auth.domain.clients import Client, ClientKind, GrantType
from auth.domain.tokens import TokenPolicy, access_claims

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
POLICY = TokenPolicy("http://127.0.0.1:8000/auth", "fitshop", timedelta(seconds=600),
                     timedelta(days=14), timedelta(seconds=120))
WEB = Client("fitshop-web", ClientKind.PUBLIC, None, ("http://127.0.0.1:8000/callback",),
             (GrantType.AUTHORIZATION_CODE,), ("shop",))
LOADGEN = Client("loadgen", ClientKind.CONFIDENTIAL, "h", (), (GrantType.CLIENT_CREDENTIALS,),
                 ("shop",), roles=(Role.CUSTOMER,))
ALICE = User(uuid4(), "alice", "alice@fitshop.test", "h", (Role.CUSTOMER,), NOW)


def test_a_users_token_names_the_user_and_their_roles() -> None:
    claims = access_claims(POLICY, client=WEB, user=ALICE, scope="shop", jti="j1", now=NOW)
    issued = int(NOW.timestamp())
    assert claims == {
        "iss": "http://127.0.0.1:8000/auth", "aud": "fitshop", "sub": str(ALICE.id),
        "iat": issued, "nbf": issued, "exp": issued + 600, "jti": "j1",
        "client_id": "fitshop-web", "scope": "shop", "roles": ["customer"],
        "preferred_username": "alice", "email": "alice@fitshop.test",
    }


def test_a_client_credentials_token_names_the_client_and_the_clients_roles() -> None:
    claims = access_claims(POLICY, client=LOADGEN, user=None, scope="shop", jti="j2", now=NOW)
    assert claims["sub"] == "loadgen"
    assert claims["client_id"] == "loadgen"
    assert claims["roles"] == ["customer"]
    assert "preferred_username" not in claims
    assert "email" not in claims


def test_clients_grant_their_own_scopes_only() -> None:
    assert WEB.granted_scope(None) == "shop"
    assert WEB.granted_scope("shop shop") == "shop"
    assert WEB.granted_scope("shop admin") is None


def test_redirect_uris_match_exactly() -> None:
    assert WEB.allows_redirect("http://127.0.0.1:8000/callback")
    for near_miss in ("http://127.0.0.1:8000/callback/", "http://127.0.0.1:8000/callback?x=1",
                      "http://127.0.0.1:8000/Callback", "http://localhost:8000/callback",
                      "http://127.0.0.1:8000/callback#", "http://127.0.0.1:8000/callbackx"):
        assert not WEB.allows_redirect(near_miss), near_miss

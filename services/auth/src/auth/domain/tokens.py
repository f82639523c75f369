"""The claims of an access token (RFC 9068 profile, API.md "Auth")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from auth.domain.accounts import User
from auth.domain.clients import Client


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str
    audience: str
    access_ttl: timedelta
    refresh_ttl: timedelta
    code_ttl: timedelta


def access_claims(policy: TokenPolicy, *, client: Client, user: User | None, scope: str,
                  jti: str, now: datetime) -> dict[str, Any]:
    """Claims for a user's token, or for the client itself when `user` is None
    (client_credentials: the client is the subject and its record holds its roles)."""
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": policy.issuer,
        "aud": policy.audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(policy.access_ttl.total_seconds()),
        "jti": jti,
        "client_id": client.client_id,
        "scope": scope,
    }
    if user is None:
        claims["sub"] = client.client_id
        claims["roles"] = [str(role) for role in client.roles]
    else:
        claims["sub"] = str(user.id)
        claims["roles"] = [str(role) for role in user.roles]
        claims["preferred_username"] = user.username
        claims["email"] = user.email
    return claims

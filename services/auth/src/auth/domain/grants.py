"""Authorization codes and refresh-token families: lifetimes, single use, rotation, reuse detection."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID


def fingerprint(secret: str) -> str:
    """What we store instead of a code or refresh token: a leaked table grants nothing.

    SHA-256 suffices (no salt, no stretching) because these secrets are 256-bit random values,
    not human-chosen passwords.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


class CodeState(StrEnum):
    USABLE = "usable"
    EXPIRED = "expired"
    REPLAYED = "replayed"
    """Already exchanged once: RFC 6749 §4.1.2 says refuse it and revoke what it produced."""
    WRONG_CLIENT = "wrong_client"


@dataclass(frozen=True)
class AuthorizationCode:
    """A one-time code bound to client, redirect URI, user and PKCE challenge (RFC 7636)."""

    code_hash: str
    client_id: str
    user_id: UUID
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    issued_at: datetime
    expires_at: datetime
    consumed_at: datetime | None = None

    @classmethod
    def issue(cls, code: str, *, client_id: str, user_id: UUID, redirect_uri: str, scope: str,
              code_challenge: str, code_challenge_method: str, now: datetime,
              ttl: timedelta) -> AuthorizationCode:
        return cls(fingerprint(code), client_id, user_id, redirect_uri, scope, code_challenge,
                   code_challenge_method, issued_at=now, expires_at=now + ttl)

    def state_for(self, client_id: str, now: datetime) -> CodeState:
        # Replay is checked first: a replayed code must trigger revocation even when it has
        # also expired meanwhile or is presented by another client.
        if self.consumed_at is not None:
            return CodeState.REPLAYED
        if client_id != self.client_id:
            return CodeState.WRONG_CLIENT
        if now >= self.expires_at:
            return CodeState.EXPIRED
        return CodeState.USABLE

    def consume(self, now: datetime) -> AuthorizationCode:
        return replace(self, consumed_at=now)


class RefreshState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    REUSED = "reused"
    """Presented again after rotation: someone holds a copy, so the whole family dies."""
    WRONG_CLIENT = "wrong_client"


@dataclass(frozen=True)
class RefreshFamily:
    """Every refresh token descended from one authorization: they live and die together."""

    id: UUID
    client_id: str
    user_id: UUID
    code_hash: str | None
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class RefreshToken:
    """One member of a family; only the newest, unrotated member is ever accepted."""

    token_hash: str
    family: RefreshFamily
    scope: str
    issued_at: datetime
    expires_at: datetime
    rotated_at: datetime | None = None

    @classmethod
    def first(cls, token: str, family: RefreshFamily, *, scope: str, now: datetime,
              ttl: timedelta) -> RefreshToken:
        return cls(fingerprint(token), family, scope, issued_at=now, expires_at=now + ttl)

    def state_for(self, client_id: str, now: datetime) -> RefreshState:
        if self.family.revoked_at is not None:
            return RefreshState.REVOKED
        if self.rotated_at is not None:
            return RefreshState.REUSED
        # RFC 6749 §6: a refresh token is bound to the client it was issued to.
        if client_id != self.family.client_id:
            return RefreshState.WRONG_CLIENT
        if now >= self.expires_at:
            return RefreshState.EXPIRED
        return RefreshState.ACTIVE

    def rotate(self, successor: str, *, now: datetime, ttl: timedelta,
               scope: str | None = None) -> tuple[RefreshToken, RefreshToken]:
        """(this token marked rotated, its successor in the same family)."""
        if self.state_for(self.family.client_id, now) is not RefreshState.ACTIVE:
            raise ValueError("only an active refresh token can be rotated")
        new = RefreshToken(fingerprint(successor), self.family, scope or self.scope,
                           issued_at=now, expires_at=now + ttl)
        return replace(self, rotated_at=now), new

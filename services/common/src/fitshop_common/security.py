"""Bearer-token checks every service runs itself: RS256 JWTs verified against the issuer's JWKS."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx2
import msgspec
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from fitshop_common.errors import Forbidden, Unauthorized
from fitshop_common.settings import JwtSettings

log = logging.getLogger(__name__)
ALGORITHM = "RS256"  # pinned: `alg` from the token is never trusted to choose the check


class Principal(msgspec.Struct, frozen=True):
    """Who is calling, as the access token says."""

    subject: str
    roles: frozenset[str]
    username: str | None = None
    client_id: str | None = None
    email: str | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles


class JwksCache:
    """The issuer's public keys, fetched lazily and refetched when a token names an unknown `kid`."""

    def __init__(
        self,
        url: str,
        *,
        min_refresh_seconds: float = 10.0,
        client: httpx2.AsyncClient | None = None,
    ) -> None:
        self._url = url
        self._min_refresh = min_refresh_seconds
        self._client = client or httpx2.AsyncClient(timeout=3.0)
        self._keys: KeySet | None = None
        self._fetched_at = -1e9
        self._lock = asyncio.Lock()

    async def _fetch(self) -> None:
        response = await self._client.get(self._url)
        response.raise_for_status()
        self._keys = KeySet.import_key_set(response.json())
        self._fetched_at = time.monotonic()

    async def key_set(self, kid: str | None) -> KeySet:
        """Keys that may hold `kid`; refreshes (rate-limited) when `kid` is not known yet."""
        if self._keys is None or (kid is not None and not self._has(kid)):
            async with self._lock:
                stale = time.monotonic() - self._fetched_at >= self._min_refresh
                if self._keys is None or (kid is not None and not self._has(kid) and stale):
                    try:
                        await self._fetch()
                    except (httpx2.HTTPError, ValueError) as exc:
                        log.warning("JWKS fetch from %s failed: %s", self._url, exc)
                        if self._keys is None:
                            raise Unauthorized("The token issuer's keys are unavailable.") from exc
        assert self._keys is not None
        return self._keys

    def _has(self, kid: str) -> bool:
        return self._keys is not None and any(k.kid == kid for k in self._keys.keys)

    async def aclose(self) -> None:
        await self._client.aclose()


class TokenVerifier:
    """Checks signature (RS256 only), `iss`, `aud`, `exp`, `nbf`, `iat` and turns claims into a Principal.

    A client sends the same access token with every request until it expires, so the outcome of
    a successful check is remembered for that exact token string until its `exp`, and at most
    `REMEMBER_SECONDS`: the RSA verification is the costliest step of a small request. The price
    is that a token signed by a key removed from the JWKS keeps working for up to that long.
    Refusals are never remembered.
    """

    REMEMBER_SECONDS = 60.0
    REMEMBER_MAX = 10_000

    def __init__(self, settings: JwtSettings, keys: JwksCache | None = None) -> None:
        self._verified: dict[str, tuple[Principal, float]] = {}
        self._keys = keys or JwksCache(
            settings.jwks_url, min_refresh_seconds=settings.jwks_min_refresh_seconds
        )
        self._claims = jwt.JWTClaimsRegistry(
            leeway=settings.jwt_leeway_seconds,
            iss={"essential": True, "value": settings.jwt_issuer},
            aud={"essential": True, "value": settings.jwt_audience},
            exp={"essential": True},
            sub={"essential": True},
        )

    async def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, until = remembered
            if time.time() < until:
                return principal
            del self._verified[token]
        principal, expires_at = await self._check(token)
        if len(self._verified) >= self.REMEMBER_MAX:
            self._verified.clear()  # crude, and rare: a service sees few distinct live tokens
        self._verified[token] = (principal, min(expires_at, time.time() + self.REMEMBER_SECONDS))
        return principal

    async def _check(self, token: str) -> tuple[Principal, float]:
        try:
            header = jws.extract_compact(token.encode()).headers()
        except (JoseError, ValueError, UnicodeError) as exc:
            raise Unauthorized("The bearer token is malformed.") from exc
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("The bearer token must be signed with RS256.")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthorized("The bearer token has no key id.")
        keys = await self._keys.key_set(kid)
        if not any(k.kid == kid for k in keys.keys):
            raise Unauthorized("The bearer token was signed by an unknown key.")
        try:
            decoded = jwt.decode(token, keys, algorithms=[ALGORITHM])
            self._claims.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(f"The bearer token was refused: {exc}.") from exc
        claims: dict[str, Any] = decoded.claims
        roles = claims.get("roles", [])
        return Principal(
            subject=str(claims["sub"]),
            roles=frozenset(roles if isinstance(roles, list) else str(roles).split()),
            username=claims.get("preferred_username"),
            client_id=claims.get("client_id"),
            email=claims["email"] if isinstance(claims.get("email"), str) else None,
        ), float(claims["exp"])

    async def aclose(self) -> None:
        await self._keys.aclose()


_STATE_KEY = "fitshop_principal"


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller's Principal, verified once per request (401 when absent or invalid)."""
    cached = connection.scope.get("state", {}).get(_STATE_KEY)
    if isinstance(cached, Principal):
        return cached
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    verifier: TokenVerifier = connection.app.state.token_verifier
    principal = await verifier.verify(token.strip())
    connection.scope.setdefault("state", {})[_STATE_KEY] = principal
    return principal


def require_role(
    *roles: str,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Any]:
    """Litestar guard: the caller holds one of `roles` (403 otherwise, 401 without a valid token)."""
    wanted = frozenset(roles)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await authenticate(connection)
        if not principal.roles & wanted:
            raise Forbidden(f"This needs the role {' or '.join(sorted(wanted))}.")

    return guard


async def provide_principal(request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """Litestar dependency `principal`."""
    return await authenticate(request)

"""The auth use cases: sign up, log in (throttled), and the storage side of the OAuth grants."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self
from uuid import UUID, uuid4

from auth.application.ports import (
    AccessTokenSigner,
    Clock,
    PasswordHasher,
    UnitOfWork,
    UnitOfWorkFactory,
)
from auth.domain.accounts import Registration, Role, User, Violation, normalise_username
from auth.domain.clients import Client, ClientKind
from auth.domain.grants import (
    AuthorizationCode,
    CodeState,
    RefreshFamily,
    RefreshState,
    RefreshToken,
    fingerprint,
)
from auth.domain.throttle import LoginThrottle, Throttled
from auth.domain.tokens import TokenPolicy, access_claims

log = logging.getLogger(__name__)

# Kept after expiry so a replayed code or refresh token is still recognised as a replay.
RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class SignedUp:
    user: User


@dataclass(frozen=True)
class UsernameTaken:
    username: str


@dataclass(frozen=True)
class Rejected:
    violations: list[Violation]


@dataclass(frozen=True)
class LoggedIn:
    user: User


@dataclass(frozen=True)
class BadCredentials:
    """Unknown user and wrong password look the same from outside (no account enumeration)."""


@dataclass(frozen=True)
class IssuedAccessToken:
    token: str
    expires_in: int


def new_secret() -> str:
    """A code or refresh token: 256 bits from the OS CSPRNG, URL-safe."""
    return secrets.token_urlsafe(32)


class AuthService:
    """One method per use case; the OAuth protocol engine drives `oauth()` sessions."""

    def __init__(self, *, uow: UnitOfWorkFactory, hasher: PasswordHasher,
                 signer: AccessTokenSigner, policy: TokenPolicy, throttle: LoginThrottle,
                 clock: Clock, dummy_hash: str) -> None:
        self._uow = uow
        self._hasher = hasher
        self._signer = signer
        self.policy = policy
        self.throttle = throttle
        self._clock = clock
        # Verified against when the username is unknown, so that case costs a full hash too.
        self._dummy_hash = dummy_hash

    async def sign_up(self, username: str, email: str,
                      password: str) -> SignedUp | UsernameTaken | Rejected:
        registration = Registration.of(username, email, password)
        if not registration.acceptable:
            return Rejected(registration.violations)
        user = User(uuid4(), registration.username, registration.email,
                    await self._hasher.hash(password), (Role.CUSTOMER,), self._clock())
        async with self._uow() as uow:
            if not await uow.users.add(user):
                return UsernameTaken(registration.username)
            await uow.commit()
        log.info("user signed up", extra={"user_id": str(user.id)})
        return SignedUp(user)

    async def log_in(self, username: str, password: str,
                     address: str) -> LoggedIn | BadCredentials | Throttled:
        name = normalise_username(username)
        now = self._clock()
        async with self._uow() as uow:
            # Count this attempt before the slow hash runs: parallel guesses then see each
            # other, and the limit holds however many arrive at once.
            await uow.login_attempts.lock(name, address)
            recent = await uow.login_attempts.recent(name, address, self.throttle.since(now))
            verdict = self.throttle.admit(recent, now)
            if isinstance(verdict, Throttled):
                return verdict
            await uow.login_attempts.add(name, address, now)
            user = await uow.users.by_username(name)
            await uow.commit()
        matches = await self._hasher.verify(user.password_hash if user else self._dummy_hash,
                                            password)
        if user is None or not matches:
            return BadCredentials()
        async with self._uow() as uow:
            await uow.login_attempts.clear(name, address)
            if self._hasher.needs_rehash(user.password_hash):
                await uow.users.set_password_hash(user.id, await self._hasher.hash(password))
            await uow.commit()
        return LoggedIn(user)

    def oauth(self) -> OAuthSession:
        """A transaction for one OAuth request; it commits when the request ends normally
        (also after a refused replay, whose revocations must stick)."""
        return OAuthSession(self._uow(), hasher=self._hasher, signer=self._signer,
                            policy=self.policy, clock=self._clock)

    async def ensure_user(self, username: str, email: str, password: str,
                          roles: tuple[Role, ...]) -> bool:
        """Create the user unless the username exists; True when created (seeding)."""
        async with self._uow() as uow:
            if await uow.users.by_username(normalise_username(username)) is not None:
                return False
        user = User(uuid4(), normalise_username(username), email,
                    await self._hasher.hash(password), roles, self._clock())
        async with self._uow() as uow:
            created = await uow.users.add(user)
            await uow.commit()
        return created

    async def register_client(self, client: Client, secret: str | None = None) -> None:
        """Insert or update a client; a confidential one keeps its secret unless given one."""
        async with self._uow() as uow:
            secret_hash = client.secret_hash
            if secret is not None:
                secret_hash = await self._hasher.hash(secret)
            elif client.kind is ClientKind.CONFIDENTIAL and secret_hash is None:
                existing = await uow.clients.get(client.client_id)
                if existing is None or existing.secret_hash is None:
                    raise ValueError(f"confidential client {client.client_id} needs a secret")
                secret_hash = existing.secret_hash
            await uow.clients.put(_with_secret(client, secret_hash))
            await uow.commit()

    async def purge(self) -> None:
        """Forget expired codes, tokens and old login attempts."""
        now = self._clock()
        async with self._uow() as uow:
            await uow.codes.purge(now - RETENTION)
            await uow.refresh_tokens.purge(now - RETENTION)
            await uow.login_attempts.purge(self.throttle.since(now))
            await uow.commit()


def _with_secret(client: Client, secret_hash: str | None) -> Client:
    return Client(client.client_id, client.kind, secret_hash, client.redirect_uris,
                  client.grant_types, client.scopes, client.roles)


class OAuthSession:
    """Storage and token minting for one OAuth request, over one transaction."""

    def __init__(self, uow: UnitOfWork, *, hasher: PasswordHasher, signer: AccessTokenSigner,
                 policy: TokenPolicy, clock: Clock) -> None:
        self._uow = uow
        self._hasher = hasher
        self._signer = signer
        self.policy = policy
        self._clock = clock

    async def __aenter__(self) -> Self:
        await self._uow.__aenter__()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                await self._uow.commit()
        finally:
            await self._uow.__aexit__(exc_type, exc, tb)

    def _now(self) -> datetime:
        return self._clock()

    async def client(self, client_id: str) -> Client | None:
        return await self._uow.clients.get(client_id)

    async def user(self, user_id: UUID) -> User | None:
        return await self._uow.users.get(user_id)

    async def check_client_secret(self, client: Client, secret: str) -> bool:
        if client.secret_hash is None:
            return False
        return await self._hasher.verify(client.secret_hash, secret)

    async def issue_code(self, code: str, *, client: Client, user_id: UUID, redirect_uri: str,
                         scope: str, code_challenge: str, code_challenge_method: str) -> None:
        await self._uow.codes.add(AuthorizationCode.issue(
            code, client_id=client.client_id, user_id=user_id, redirect_uri=redirect_uri,
            scope=scope, code_challenge=code_challenge,
            code_challenge_method=code_challenge_method, now=self._now(),
            ttl=self.policy.code_ttl,
        ))

    async def redeem_code(self, code: str, client_id: str) -> AuthorizationCode | None:
        """The code when it may be exchanged now; a replay revokes what the code produced."""
        found = await self._uow.codes.get_for_update(fingerprint(code))
        if found is None:
            return None
        state = found.state_for(client_id, self._now())
        if state is CodeState.REPLAYED:
            log.warning("authorization code replayed; revoking its tokens",
                        extra={"client_id": found.client_id})
            await self._uow.refresh_tokens.revoke_families_of_code(found.code_hash, self._now())
        return found if state is CodeState.USABLE else None

    async def consume_code(self, code: AuthorizationCode) -> None:
        await self._uow.codes.save(code.consume(self._now()))

    async def present_refresh_token(self, token: str, client_id: str) -> RefreshToken | None:
        """The refresh token when it may be used now; a rotated one revokes its whole family."""
        found = await self._uow.refresh_tokens.get_for_update(fingerprint(token))
        if found is None:
            return None
        state = found.state_for(client_id, self._now())
        if state is RefreshState.REUSED:
            log.warning("rotated refresh token presented again; revoking its family",
                        extra={"family_id": str(found.family.id)})
            await self._uow.refresh_tokens.revoke_family(found.family.id, self._now())
        return found if state is RefreshState.ACTIVE else None

    def mint_access_token(self, client: Client, user: User | None,
                          scope: str) -> IssuedAccessToken:
        """Sign an access token (no I/O: the key is in memory)."""
        claims = access_claims(self.policy, client=client, user=user, scope=scope,
                               jti=uuid4().hex, now=self._now())
        return IssuedAccessToken(self._signer.sign(claims),
                                 int(self.policy.access_ttl.total_seconds()))

    async def store_refresh_token(self, token: str, *, client: Client, user: User, scope: str,
                                  code: AuthorizationCode | None,
                                  previous: RefreshToken | None) -> None:
        """Start a family (after a code exchange) or rotate `previous` into `token`."""
        now, ttl = self._now(), self.policy.refresh_ttl
        if previous is not None:
            rotated, successor = previous.rotate(token, now=now, ttl=ttl, scope=scope)
            await self._uow.refresh_tokens.mark_rotated(rotated)
            await self._uow.refresh_tokens.add(successor)
            return
        family = RefreshFamily(uuid4(), client.client_id, user.id,
                               code.code_hash if code else None, created_at=now)
        await self._uow.refresh_tokens.add_family(family)
        await self._uow.refresh_tokens.add(RefreshToken.first(token, family, scope=scope,
                                                              now=now, ttl=ttl))

    async def find_refresh_token(self, token: str) -> RefreshToken | None:
        """The refresh token in any state (revocation accepts even spent ones)."""
        return await self._uow.refresh_tokens.get_for_update(fingerprint(token))

    async def revoke_family(self, token: RefreshToken) -> None:
        """RFC 7009 §2.1: revoking a refresh token ends every token of its grant."""
        await self._uow.refresh_tokens.revoke_family(token.family.id, self._now())

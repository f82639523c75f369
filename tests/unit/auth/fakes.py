"""In-memory fakes of the auth service's own ports, for unit tests of the use cases."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from auth.application.ports import (
    AccessTokenSigner,
    ClientRepository,
    CodeRepository,
    LoginAttemptRepository,
    PasswordHasher,
    RefreshTokenRepository,
    UnitOfWork,
    UserRepository,
)
from auth.domain.accounts import User
from auth.domain.clients import Client
from auth.domain.grants import AuthorizationCode, RefreshFamily, RefreshToken

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Tables:
    """The whole "database": the unit of work copies it in and writes it back on commit."""

    users: dict[UUID, User] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    families: dict[UUID, RefreshFamily] = field(default_factory=dict)
    tokens: dict[str, RefreshToken] = field(default_factory=dict)
    attempts: list[tuple[str, str, datetime]] = field(default_factory=list)
    commits: int = 0


class FakeUsers(UserRepository):
    def __init__(self, t: Tables) -> None:
        self.t = t

    async def add(self, user: User) -> bool:
        if any(u.username == user.username for u in self.t.users.values()):
            return False
        self.t.users[user.id] = user
        return True

    async def get(self, user_id: UUID) -> User | None:
        return self.t.users.get(user_id)

    async def by_username(self, username: str) -> User | None:
        return next((u for u in self.t.users.values() if u.username == username), None)

    async def set_password_hash(self, user_id: UUID, password_hash: str) -> None:
        self.t.users[user_id] = replace(self.t.users[user_id], password_hash=password_hash)


class FakeClients(ClientRepository):
    def __init__(self, t: Tables) -> None:
        self.t = t

    async def get(self, client_id: str) -> Client | None:
        return self.t.clients.get(client_id)

    async def put(self, client: Client) -> None:
        self.t.clients[client.client_id] = client


class FakeCodes(CodeRepository):
    def __init__(self, t: Tables) -> None:
        self.t = t

    async def add(self, code: AuthorizationCode) -> None:
        self.t.codes[code.code_hash] = code

    async def get_for_update(self, code_hash: str) -> AuthorizationCode | None:
        return self.t.codes.get(code_hash)

    async def save(self, code: AuthorizationCode) -> None:
        self.t.codes[code.code_hash] = code

    async def purge(self, expired_before: datetime) -> int:
        old = [h for h, c in self.t.codes.items() if c.expires_at < expired_before]
        for h in old:
            del self.t.codes[h]
        return len(old)


class FakeRefreshTokens(RefreshTokenRepository):
    def __init__(self, t: Tables) -> None:
        self.t = t

    async def add_family(self, family: RefreshFamily) -> None:
        self.t.families[family.id] = family

    async def add(self, token: RefreshToken) -> None:
        self.t.tokens[token.token_hash] = token

    async def get_for_update(self, token_hash: str) -> RefreshToken | None:
        token = self.t.tokens.get(token_hash)
        if token is None:
            return None
        return replace(token, family=self.t.families[token.family.id])

    async def mark_rotated(self, token: RefreshToken) -> None:
        self.t.tokens[token.token_hash] = token

    async def revoke_family(self, family_id: UUID, at: datetime) -> None:
        family = self.t.families[family_id]
        if family.revoked_at is None:
            self.t.families[family_id] = replace(family, revoked_at=at)

    async def revoke_families_of_code(self, code_hash: str, at: datetime) -> None:
        for family in list(self.t.families.values()):
            if family.code_hash == code_hash:
                await self.revoke_family(family.id, at)

    async def purge(self, expired_before: datetime) -> int:
        old = [h for h, t in self.t.tokens.items() if t.expires_at < expired_before]
        for h in old:
            del self.t.tokens[h]
        return len(old)


class FakeLoginAttempts(LoginAttemptRepository):
    def __init__(self, t: Tables) -> None:
        self.t = t

    async def lock(self, username: str, address: str) -> None:
        pass  # one event loop, no interleaving inside a fake transaction

    async def recent(self, username: str, address: str, since: datetime) -> list[datetime]:
        return [at for u, a, at in self.t.attempts if (u, a) == (username, address) and at > since]

    async def add(self, username: str, address: str, at: datetime) -> None:
        self.t.attempts.append((username, address, at))

    async def clear(self, username: str, address: str) -> None:
        self.t.attempts = [x for x in self.t.attempts if (x[0], x[1]) != (username, address)]

    async def purge(self, before: datetime) -> int:
        kept = [x for x in self.t.attempts if x[2] > before]
        removed = len(self.t.attempts) - len(kept)
        self.t.attempts = kept
        return removed


class FakeUnitOfWork(UnitOfWork):
    """Works on a copy of the tables; commit writes the copy back, anything else discards it."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def __aenter__(self) -> Self:
        self._work = copy.deepcopy(self._tables)
        self.users = FakeUsers(self._work)
        self.clients = FakeClients(self._work)
        self.codes = FakeCodes(self._work)
        self.refresh_tokens = FakeRefreshTokens(self._work)
        self.login_attempts = FakeLoginAttempts(self._work)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        pass

    async def commit(self) -> None:
        self._work.commits += 1
        self._tables.__dict__.update(copy.deepcopy(self._work).__dict__)


class FakeHasher(PasswordHasher):
    """`hash:<password>`; records what it was asked to verify (to see the dummy-hash check)."""

    def __init__(self) -> None:
        self.verified: list[str] = []
        self.outdated: set[str] = set()

    async def hash(self, password: str) -> str:
        return f"hash:{password}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return password_hash == f"hash:{password}"

    def needs_rehash(self, password_hash: str) -> bool:
        return password_hash in self.outdated


class FakeSigner(AccessTokenSigner):
    def __init__(self) -> None:
        self.signed: list[dict[str, Any]] = []

    def sign(self, claims: dict[str, Any]) -> str:
        self.signed.append(claims)
        return f"jwt-{len(self.signed)}"

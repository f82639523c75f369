"""Ports: what the use cases need from storage, password hashing and token signing."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from auth.domain.accounts import User
from auth.domain.clients import Client
from auth.domain.grants import AuthorizationCode, RefreshFamily, RefreshToken


class UserRepository(ABC):
    @abstractmethod
    async def add(self, user: User) -> bool:
        """Store a new user; False (and nothing stored) when the username is taken."""

    @abstractmethod
    async def get(self, user_id: UUID) -> User | None: ...

    @abstractmethod
    async def by_username(self, username: str) -> User | None: ...

    @abstractmethod
    async def set_password_hash(self, user_id: UUID, password_hash: str) -> None: ...


class ClientRepository(ABC):
    @abstractmethod
    async def get(self, client_id: str) -> Client | None: ...

    @abstractmethod
    async def put(self, client: Client) -> None:
        """Insert or replace the client's registration."""


class CodeRepository(ABC):
    @abstractmethod
    async def add(self, code: AuthorizationCode) -> None: ...

    @abstractmethod
    async def get_for_update(self, code_hash: str) -> AuthorizationCode | None:
        """The code, locked until the unit of work ends, so one exchange wins a race."""

    @abstractmethod
    async def save(self, code: AuthorizationCode) -> None: ...

    @abstractmethod
    async def purge(self, expired_before: datetime) -> int: ...


class RefreshTokenRepository(ABC):
    @abstractmethod
    async def add_family(self, family: RefreshFamily) -> None: ...

    @abstractmethod
    async def add(self, token: RefreshToken) -> None: ...

    @abstractmethod
    async def get_for_update(self, token_hash: str) -> RefreshToken | None:
        """The token with its family, locked until the unit of work ends."""

    @abstractmethod
    async def mark_rotated(self, token: RefreshToken) -> None: ...

    @abstractmethod
    async def revoke_family(self, family_id: UUID, at: datetime) -> None: ...

    @abstractmethod
    async def revoke_families_of_code(self, code_hash: str, at: datetime) -> None: ...

    @abstractmethod
    async def purge(self, expired_before: datetime) -> int: ...


class LoginAttemptRepository(ABC):
    """Unconfirmed login attempts per (username, client address), shared by every replica."""

    @abstractmethod
    async def lock(self, username: str, address: str) -> None:
        """Serialise attempts on one (username, address) until the unit of work ends."""

    @abstractmethod
    async def recent(self, username: str, address: str, since: datetime) -> list[datetime]: ...

    @abstractmethod
    async def add(self, username: str, address: str, at: datetime) -> None: ...

    @abstractmethod
    async def clear(self, username: str, address: str) -> None: ...

    @abstractmethod
    async def purge(self, before: datetime) -> int: ...


class UnitOfWork(ABC):
    """One transaction over every repository; leaving without `commit()` rolls back."""

    users: UserRepository
    clients: ClientRepository
    codes: CodeRepository
    refresh_tokens: RefreshTokenRepository
    login_attempts: LoginAttemptRepository

    @abstractmethod
    async def __aenter__(self) -> Self: ...

    @abstractmethod
    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...

    @abstractmethod
    async def commit(self) -> None: ...


class PasswordHasher(ABC):
    """A slow, salted password hash (Argon2id in production)."""

    @abstractmethod
    async def hash(self, password: str) -> str: ...

    @abstractmethod
    async def verify(self, password_hash: str, password: str) -> bool: ...

    @abstractmethod
    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with weaker parameters than today's."""


class AccessTokenSigner(ABC):
    """Signs access-token claims with the current signing key."""

    @abstractmethod
    def sign(self, claims: dict[str, Any]) -> str: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
Clock = Callable[[], datetime]

"""Argon2id password hashing (argon2-cffi), run off the event loop because it is slow on purpose."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from auth.application.ports import PasswordHasher


class Argon2Hasher(PasswordHasher):
    """argon2-cffi's defaults are RFC 9106's low-memory profile (Argon2id, t=3, m=64 MiB, p=4).

    Each hash holds its own parameters, so raising them later only needs `needs_rehash`.
    """

    def __init__(self, argon2: Argon2 | None = None) -> None:
        self._argon2 = argon2 or Argon2()

    def hash_now(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify_now(self, password_hash: str, password: str) -> bool:
        """Blocking check for callers already off the event loop."""
        try:
            return self._argon2.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self.hash_now, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await anyio.to_thread.run_sync(self.verify_now, password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

"""Argon2id as configured for production, and the dummy hash that hides unknown usernames."""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2

from auth.adapters.passwords import Argon2Hasher
from auth.settings import AuthSettings


def production_hasher() -> Argon2Hasher:
    settings = AuthSettings()
    return Argon2Hasher(Argon2(time_cost=settings.argon2_time_cost,
                               memory_cost=settings.argon2_memory_kib,
                               parallelism=settings.argon2_parallelism))


async def test_passwords_are_hashed_with_argon2id_at_rfc_9106_strength() -> None:
    hashed = await production_hasher().hash("alice-pass")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


async def test_a_hash_verifies_its_password_only() -> None:
    hasher = production_hasher()
    hashed = await hasher.hash("alice-pass")
    assert await hasher.verify(hashed, "alice-pass")
    assert not await hasher.verify(hashed, "alice-pass ")


async def test_a_malformed_stored_hash_is_a_failed_check_not_a_crash() -> None:
    assert not await production_hasher().verify("not-a-hash", "x")


async def test_weaker_parameters_are_flagged_for_rehash() -> None:
    weak = await Argon2Hasher(Argon2(time_cost=1, memory_cost=8192, parallelism=1)).hash("x")
    assert production_hasher().needs_rehash(weak)
    assert not production_hasher().needs_rehash(await production_hasher().hash("x"))

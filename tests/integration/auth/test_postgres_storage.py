"""The use cases over the real PostgreSQL adapter: races settled by row locks, purging, uniqueness."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from argon2 import PasswordHasher as Argon2

from auth.adapters.keys import KeyRing
from auth.adapters.passwords import Argon2Hasher
from auth.adapters.postgres import PostgresAuthUnitOfWork
from auth.application.service import AuthService
from auth.domain.accounts import Role, User
from auth.domain.clients import Client, ClientKind, GrantType
from auth.domain.throttle import LoginThrottle
from auth.domain.tokens import TokenPolicy
from fitshop_common.migrate import migrate_service
from tests.integration.auth.auth_process import write_key

WEB = Client("fitshop-web", ClientKind.PUBLIC, None, ("http://127.0.0.1:8000/callback",),
             (GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN), ("shop",))
POLICY = TokenPolicy("http://127.0.0.1:8000/auth", "fitshop", timedelta(seconds=600),
                     timedelta(days=14), timedelta(seconds=120))


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def pool(pg_url: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate_service(pg_url, "auth")
    pool = await asyncpg.create_pool(pg_url, min_size=2, max_size=6)
    assert pool is not None
    yield pool
    await pool.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(pool: asyncpg.Pool, clock: Clock, tmp_path: Path) -> AuthService:
    write_key(tmp_path, "k1")
    hasher = Argon2Hasher(Argon2(time_cost=1, memory_cost=8192, parallelism=1))
    service = AuthService(uow=lambda: PostgresAuthUnitOfWork(pool), hasher=hasher,
                          signer=KeyRing.load(tmp_path), policy=POLICY,
                          throttle=LoginThrottle(5, timedelta(minutes=5)), clock=clock,
                          dummy_hash=await hasher.hash("dummy"))
    await service.register_client(WEB)
    await service.ensure_user("alice", "alice@fitshop.test", "alice-pass", (Role.CUSTOMER,))
    return service


async def alice(pool: asyncpg.Pool) -> User:
    async with PostgresAuthUnitOfWork(pool) as uow:
        found = await uow.users.by_username("alice")
    assert found is not None
    return found


async def test_two_concurrent_exchanges_of_one_code_cannot_both_succeed(
        service: AuthService, pool: asyncpg.Pool) -> None:
    user = await alice(pool)
    async with service.oauth() as session:
        await session.issue_code("the-code", client=WEB, user_id=user.id,
                                 redirect_uri=WEB.redirect_uris[0], scope="shop",
                                 code_challenge="c" * 43, code_challenge_method="S256")

    async def exchange() -> bool:
        async with service.oauth() as session:
            code = await session.redeem_code("the-code", "fitshop-web")
            if code is None:
                return False
            await asyncio.sleep(0.2)  # hold the row lock while the other one waits
            await session.consume_code(code)
            return True

    assert sorted(await asyncio.gather(exchange(), exchange())) == [False, True]


async def test_a_taken_username_is_reported_not_raised(service: AuthService) -> None:
    results = await asyncio.gather(*(
        service.sign_up("carol", "carol@fitshop.test", "squat-rack-2026") for _ in range(3)))
    assert sorted(type(r).__name__ for r in results) == ["SignedUp", "UsernameTaken",
                                                         "UsernameTaken"]


async def test_purging_removes_only_what_has_expired(
        service: AuthService, pool: asyncpg.Pool, clock: Clock) -> None:
    user = await alice(pool)
    async with service.oauth() as session:
        await session.issue_code("old-code", client=WEB, user_id=user.id,
                                 redirect_uri=WEB.redirect_uris[0], scope="shop",
                                 code_challenge="c" * 43, code_challenge_method="S256")
        await session.store_refresh_token("old-refresh", client=WEB, user=user, scope="shop",
                                          code=None, previous=None)
    await service.log_in("alice", "wrong", "192.0.2.1")
    clock.now += timedelta(days=16)
    async with service.oauth() as session:
        await session.store_refresh_token("new-refresh", client=WEB, user=user, scope="shop",
                                          code=None, previous=None)
    await service.purge()
    assert await pool.fetchval("SELECT count(*) FROM authorization_codes") == 0
    assert await pool.fetchval("SELECT count(*) FROM refresh_tokens") == 1
    assert await pool.fetchval("SELECT count(*) FROM refresh_families") == 1
    assert await pool.fetchval("SELECT count(*) FROM login_attempts") == 0


async def test_nothing_is_stored_in_clear(service: AuthService, pool: asyncpg.Pool) -> None:
    user = await alice(pool)
    async with service.oauth() as session:
        await session.issue_code("secret-code", client=WEB, user_id=user.id,
                                 redirect_uri=WEB.redirect_uris[0], scope="shop",
                                 code_challenge="c" * 43, code_challenge_method="S256")
        await session.store_refresh_token("secret-refresh", client=WEB, user=user,
                                          scope="shop", code=None, previous=None)
    rows = []
    for table in ("users", "authorization_codes", "refresh_tokens"):
        rows.extend(await pool.fetch(f"SELECT * FROM {table}"))
    dump = " ".join(str(row) for row in rows)
    for secret in ("alice-pass", "secret-code", "secret-refresh"):
        assert secret not in dump

"""One place builds everything: the pool, migrations, keys, hasher and the application service."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from argon2 import PasswordHasher as Argon2

from auth.adapters.keys import KeyRing
from auth.adapters.oauth import OAuthProvider
from auth.adapters.passwords import Argon2Hasher
from auth.adapters.postgres import PostgresAuthUnitOfWork
from auth.application.service import AuthService
from auth.domain.throttle import LoginThrottle
from auth.domain.tokens import TokenPolicy
from auth.settings import AuthSettings, auth_settings
from fitshop_common.migrate import migrate_service
from fitshop_common.postgres import create_pool
from fitshop_common.settings import JwtSettings, PostgresSettings, jwt_settings, postgres_settings


@dataclass
class Runtime:
    service: AuthService
    oauth: OAuthProvider
    keys: KeyRing
    pool: asyncpg.Pool
    settings: AuthSettings
    issuer: str


def token_policy(settings: AuthSettings, jwt: JwtSettings) -> TokenPolicy:
    return TokenPolicy(
        issuer=jwt.jwt_issuer.rstrip("/"),
        audience=jwt.jwt_audience,
        access_ttl=timedelta(seconds=settings.access_ttl_seconds),
        refresh_ttl=timedelta(seconds=settings.refresh_ttl_seconds),
        code_ttl=timedelta(seconds=settings.code_ttl_seconds),
    )


def now() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def bootstrap(settings: AuthSettings | None = None, jwt: JwtSettings | None = None,
                    database: PostgresSettings | None = None) -> AsyncIterator[Runtime]:
    settings = settings or auth_settings()
    jwt = jwt or jwt_settings()
    database = database or postgres_settings()
    keys = KeyRing.load(settings.keys_dir)  # fail fast: no keys, no service
    await migrate_service(database.database_url, "auth")
    pool = await create_pool(database)
    try:
        hasher = Argon2Hasher(Argon2(time_cost=settings.argon2_time_cost,
                                     memory_cost=settings.argon2_memory_kib,
                                     parallelism=settings.argon2_parallelism))
        service = AuthService(
            uow=lambda: PostgresAuthUnitOfWork(pool),
            hasher=hasher,
            signer=keys,
            policy=token_policy(settings, jwt),
            throttle=LoginThrottle(settings.login_max_failures,
                                   timedelta(seconds=settings.login_window_seconds)),
            clock=now,
            dummy_hash=await hasher.hash(secrets.token_urlsafe(16)),
        )
        yield Runtime(service, OAuthProvider(service), keys, pool, settings,
                      issuer=jwt.jwt_issuer.rstrip("/"))
    finally:
        await pool.close()

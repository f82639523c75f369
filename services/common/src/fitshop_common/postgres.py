"""asyncpg pool with JSON codecs, and a readiness probe for it."""

from __future__ import annotations

import json

import asyncpg

from fitshop_common.settings import PostgresSettings


async def _init(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's default reset query (`RESET ALL; UNLISTEN *; ...`).

    That query is one more round trip on every release, and nothing here leaves session state
    behind: no `SET`, advisory locks are transaction-scoped or unlocked by their holder, the
    outbox relay's LISTEN ends with UNLISTEN. asyncpg still rolls back an open transaction.
    """


async def create_pool(settings: PostgresSettings) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=settings.database_pool_min,
        max_size=settings.database_pool_max,
        init=_init,
        reset=_keep_session,
    )
    assert pool is not None
    return pool


def pool_check(pool: asyncpg.Pool) -> object:
    """Health check: the database answers a trivial query."""

    async def check() -> object:
        return await pool.fetchval("SELECT 1")

    return check

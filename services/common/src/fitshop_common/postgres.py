"""asyncpg pool with JSON codecs, and a readiness probe for it."""

from __future__ import annotations

import json

import asyncpg

from fitshop_common.settings import PostgresSettings


async def _init(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(settings: PostgresSettings) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=settings.database_pool_min,
        max_size=settings.database_pool_max,
        init=_init,
    )
    assert pool is not None
    return pool


def pool_check(pool: asyncpg.Pool) -> object:
    """Health check: the database answers a trivial query."""

    async def check() -> object:
        return await pool.fetchval("SELECT 1")

    return check

"""Fixtures for the shared mechanisms against real PostgreSQL, NATS and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from fitshop_common.migrate import migrate, package_migrations


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A fresh database with the shared outbox and inbox tables."""
    conn = await asyncpg.connect(pg_url)
    await migrate(conn, ("common", package_migrations("fitshop_common")))
    await conn.close()
    pool = await asyncpg.create_pool(pg_url, min_size=2, max_size=8)
    assert pool is not None
    yield pool
    await pool.close()

"""Idempotent consumers: the same event applied twice changes state once (PostgreSQL and Redis)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import asyncpg
from redis.asyncio import Redis

from fitshop_common.inbox import RedisOnce, claim


async def apply_once(pool: asyncpg.Pool, event_id: str, amount: int) -> bool:
    async with pool.acquire() as conn, conn.transaction():
        if not await claim(conn, "wallet", event_id):
            return False
        await conn.execute("UPDATE wallet SET balance = balance + $1", amount)
        return True


async def test_postgres_inbox_applies_an_event_once(db: asyncpg.Pool) -> None:
    await db.execute("CREATE TABLE wallet (balance int NOT NULL); INSERT INTO wallet VALUES (0)")
    event_id = str(uuid.uuid4())
    assert await apply_once(db, event_id, 10) is True
    assert await apply_once(db, event_id, 10) is False
    assert await db.fetchval("SELECT balance FROM wallet") == 10


async def test_postgres_inbox_lets_one_of_racing_replicas_win(db: asyncpg.Pool) -> None:
    await db.execute("CREATE TABLE wallet (balance int NOT NULL); INSERT INTO wallet VALUES (0)")
    event_id = str(uuid.uuid4())
    results = await asyncio.gather(*(apply_once(db, event_id, 5) for _ in range(6)))
    assert sorted(results) == [False] * 5 + [True]
    assert await db.fetchval("SELECT balance FROM wallet") == 5


async def test_a_failed_effect_leaves_the_event_unclaimed(db: asyncpg.Pool) -> None:
    await db.execute(
        "CREATE TABLE wallet (balance int NOT NULL CHECK (balance >= 0)); INSERT INTO wallet VALUES (0)"
    )
    event_id = str(uuid.uuid4())
    with contextlib.suppress(asyncpg.CheckViolationError):
        await apply_once(db, event_id, -1)
    assert await apply_once(db, event_id, 3) is True  # the retry is not mistaken for a duplicate


async def test_redis_once_applies_an_effect_once(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    add = RedisOnce(redis, "view", "return redis.call('INCRBY', keys[1], args[1])")
    event_id = str(uuid.uuid4())
    results = await asyncio.gather(*(add(event_id, ["counter"], [4]) for _ in range(5)))
    assert sorted(r for r in results if r is not None) == [4]
    assert int(await redis.get("counter")) == 4
    await redis.aclose()

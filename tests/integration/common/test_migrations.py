"""The migrations runner: numbered files once each, replicas don't race, a bad file changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from fitshop_common.migrate import migrate


def write(folder: Path, name: str, sql: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(sql)


async def test_pending_files_apply_in_order_and_only_once(pg_url: str, tmp_path: Path) -> None:
    write(tmp_path, "0001_products.sql", "CREATE TABLE product (sku text PRIMARY KEY);")
    write(
        tmp_path, "0002_price.sql", "ALTER TABLE product ADD COLUMN price int NOT NULL DEFAULT 0;"
    )
    conn = await asyncpg.connect(pg_url)
    try:
        assert await migrate(conn, ("shop", tmp_path)) == ["shop/0001_products", "shop/0002_price"]
        assert await migrate(conn, ("shop", tmp_path)) == []
        write(tmp_path, "0003_name.sql", "ALTER TABLE product ADD COLUMN name text;")
        assert await migrate(conn, ("shop", tmp_path)) == ["shop/0003_name"]
    finally:
        await conn.close()


async def test_replicas_starting_together_apply_each_file_once(pg_url: str, tmp_path: Path) -> None:
    write(tmp_path, "0001_slow.sql", "SELECT pg_sleep(0.3); CREATE TABLE once (id int);")

    async def replica() -> list[str]:
        conn = await asyncpg.connect(pg_url)
        try:
            return await migrate(conn, ("shop", tmp_path))
        finally:
            await conn.close()

    results = await asyncio.gather(*(replica() for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]


async def test_a_failing_file_leaves_the_database_at_the_previous_version(
    pg_url: str, tmp_path: Path
) -> None:
    write(tmp_path, "0001_ok.sql", "CREATE TABLE a (id int);")
    write(tmp_path, "0002_broken.sql", "CREATE TABLE b (id int); SELECT no_such_function();")
    conn = await asyncpg.connect(pg_url)
    try:
        with pytest.raises(asyncpg.UndefinedFunctionError):
            await migrate(conn, ("shop", tmp_path))
        assert await conn.fetchval("SELECT to_regclass('b')") is None
        assert await conn.fetchval("SELECT max(version) FROM schema_migrations") == 1
    finally:
        await conn.close()

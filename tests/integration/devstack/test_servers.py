"""The devstack pytest fixtures start real servers that real clients can use, and restart them."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import nats
import pytest
from pymongo import AsyncMongoClient
from redis.asyncio import Redis as RedisClient

from fitshop_devstack.probes import free_port
from fitshop_devstack.pytest_plugin import TestPostgres
from fitshop_devstack.servers import Mongo, Nats, Redis, ServerError


async def test_postgres_serves_asyncpg_on_a_new_empty_database(pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        tables = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        await conn.execute("CREATE TABLE products (sku text PRIMARY KEY)")
        await conn.execute("INSERT INTO products VALUES ('DUMBBELL-10KG')")
        assert tables == 0
        assert await conn.fetchval("SELECT sku FROM products") == "DUMBBELL-10KG"
    finally:
        await conn.close()


def test_each_test_gets_its_own_database(pg_url: str) -> None:
    assert pg_url.rsplit("/", 1)[1].startswith("t")
    assert "test_each_test_gets_its_own_database" in pg_url


def test_create_database_is_idempotent(pg: TestPostgres) -> None:
    first = pg.create_database("orders_replica")
    assert pg.create_database("orders_replica") == first
    assert first == f"postgresql://postgres@127.0.0.1:{pg.port}/orders_replica"


def test_database_names_are_checked(pg: TestPostgres) -> None:
    with pytest.raises(ValueError, match="lower_snake_case"):
        pg.create_database('x"; DROP DATABASE postgres; --')


async def test_a_postgres_table_survives_a_restart(pg: TestPostgres) -> None:
    url = pg.fresh_database()
    conn = await asyncpg.connect(url)
    await conn.execute("CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (7)")
    await conn.close()
    port = pg.port

    pg.restart()

    assert pg.port == port
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT id FROM orders") == 7
    finally:
        await conn.close()


async def test_postgres_recovers_after_a_crash(pg: TestPostgres) -> None:
    url = pg.fresh_database()
    conn = await asyncpg.connect(url)
    await conn.execute("CREATE TABLE payments (id int); INSERT INTO payments VALUES (1)")
    await conn.close()

    pg.kill()
    assert pg.pid is None
    pg.start()

    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM payments") == 1
    finally:
        await conn.close()


async def test_redis_url_is_reachable_and_flushed_before_each_test(redis_url: str) -> None:
    client = RedisClient.from_url(redis_url)
    try:
        assert await client.dbsize() == 0
        await client.set("order-view:1", "PAID")
        assert await client.get("order-view:1") == b"PAID"
    finally:
        await client.aclose()


async def test_redis_url_was_flushed_after_the_previous_test(redis_url: str) -> None:
    client = RedisClient.from_url(redis_url)
    try:
        assert await client.get("order-view:1") is None
    finally:
        await client.aclose()


async def test_jetstream_acknowledges_a_publish(nats_url: str) -> None:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        await js.add_stream(name="ORDERS", subjects=["orders.>"])
        ack = await js.publish("orders.placed", b'{"order_id": 1}')
        assert (ack.stream, ack.seq) == ("ORDERS", 1)
    finally:
        await client.close()


async def test_nats_url_starts_with_no_streams(nats_url: str) -> None:
    client = await nats.connect(nats_url)
    try:
        assert await client.jetstream().streams_info() == []
    finally:
        await client.close()


async def test_a_jetstream_stream_survives_a_nats_restart(
    nats_server: Nats, nats_url: str
) -> None:
    client = await nats.connect(nats_url)
    js = client.jetstream()
    await js.add_stream(name="DELIVERIES", subjects=["deliveries.>"])
    await js.publish("deliveries.started", b"1")
    await client.close()
    port = nats_server.port

    nats_server.stop()
    nats_server.start()

    assert nats_server.port == port
    client = await nats.connect(nats_url)
    try:
        info = await client.jetstream().stream_info("DELIVERIES")
        assert info.state.messages == 1
    finally:
        await client.close()


async def test_mongo_wire_server_pings_inserts_and_finds(mongo_url: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        mongo_url, serverSelectionTimeoutMS=5000
    )
    try:
        assert (await client.admin.command("ping"))["ok"] == 1.0
        products = client.get_default_database()["products"]
        await products.insert_one({"sku": "KETTLEBELL-16KG", "price": 59000})
        found = await products.find_one({"sku": "KETTLEBELL-16KG"})
        assert found is not None
        assert found["price"] == 59000
    finally:
        await client.close()


async def test_mongo_documents_survive_a_restart(mongo_server: Mongo, mongo_url: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    await client.get_default_database()["products"].insert_one({"sku": "MAT-6MM"})
    await client.close()

    mongo_server.restart()

    client = AsyncMongoClient(mongo_url)
    try:
        assert await client.get_default_database()["products"].count_documents({}) == 1
    finally:
        await client.close()


class BrokenRedis(Redis):
    """A redis-server with a directive it does not know, so it exits at startup."""

    def command(self) -> list[str]:
        return [*super().command(), "--no-such-directive", "yes"]


def test_a_failed_start_reports_the_servers_log(tmp_path: Path) -> None:
    server = BrokenRedis(tmp_path, free_port(), name="broken-redis")

    with pytest.raises(ServerError, match="exited while starting") as failure:
        server.start(timeout=10)

    assert "no-such-directive" in str(failure.value)
    assert server.pid is None


def test_a_port_held_by_a_stranger_is_refused(redis_server: Redis, tmp_path: Path) -> None:
    intruder = Redis(tmp_path, redis_server.port, name="intruder")

    with pytest.raises(ServerError, match="taken by another process"):
        intruder.start(timeout=5)

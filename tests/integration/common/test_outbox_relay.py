"""The outbox publishes every committed event once per id: at commit from the writing process, and
through the relay for anything that path missed, in order, through outages."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from fitshop_common.events import Envelope
from fitshop_common.messaging import ensure_stream
from fitshop_common.outbox import OutboxPublisher, OutboxRelay, add_to_outbox
from fitshop_common.settings import NatsSettings
from fitshop_common.uow import PostgresUnitOfWork
from tests.support.waiting import eventually

REPO = Path(__file__).resolve().parents[3]


def drill_event(n: int, aggregate: str = "order-1") -> Envelope:
    return Envelope.new("drill.happened", {"n": n}, producer="drill", correlation_id=aggregate)


async def write_events(pool: asyncpg.Pool, count: int, per_tx: int = 100) -> list[str]:
    ids: list[str] = []
    for start in range(0, count, per_tx):
        events = [drill_event(n) for n in range(start, min(count, start + per_tx))]
        async with pool.acquire() as conn, conn.transaction():
            await add_to_outbox(conn, events)
        ids += [e.id for e in events]
    return ids


async def stream_ids(js: JetStreamContext, stream: str = "DRILL") -> list[str]:
    """Every Nats-Msg-Id stored in the stream, in stream order."""
    info = await js.stream_info(stream)
    ids = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(stream, seq)
        ids.append((msg.headers or {})["Nats-Msg-Id"])
    return ids


@pytest.fixture
async def js(nc: NATS, nats_url: str) -> JetStreamContext:
    jsc = nc.jetstream()
    with contextlib.suppress(Exception):
        await jsc.delete_stream("DRILL")
    await ensure_stream(jsc, "drill", NatsSettings(nats_url=nats_url))
    return jsc


async def test_events_roll_back_with_their_transaction(db: asyncpg.Pool) -> None:
    with pytest.raises(RuntimeError):
        async with db.acquire() as conn, conn.transaction():
            await add_to_outbox(conn, [drill_event(1)])
            raise RuntimeError("the state change failed")
    assert await db.fetchval("SELECT count(*) FROM outbox") == 0


async def _stream_has(js: JetStreamContext, count: int) -> bool:
    return bool((await js.stream_info("DRILL")).state.messages == count)


async def commit_events(pool: asyncpg.Pool, publisher: OutboxPublisher | None,
                        events: list[Envelope]) -> None:
    async with PostgresUnitOfWork(pool, publisher) as uow:
        uow.publish(*events)
        await uow.commit()


async def test_committed_events_are_published_at_once_and_marked_without_any_relay(
    db: asyncpg.Pool, js: JetStreamContext
) -> None:
    publisher = OutboxPublisher(db, js, mark_delay=0.01)
    events = [drill_event(n) for n in range(3)]
    await commit_events(db, publisher, events)
    await eventually(lambda: _stream_has(js, 3), timeout=5.0)
    assert await stream_ids(js) == [e.id for e in events]
    await eventually(lambda: _backlog_is_empty(db), timeout=5.0)
    await publisher.aclose()


async def test_a_rolled_back_unit_of_work_publishes_nothing(
    db: asyncpg.Pool, js: JetStreamContext
) -> None:
    publisher = OutboxPublisher(db, js)
    async with PostgresUnitOfWork(db, publisher) as uow:
        uow.publish(drill_event(1))  # leaving without commit() rolls back
    await publisher.aclose()
    assert await db.fetchval("SELECT count(*) FROM outbox") == 0
    assert (await js.stream_info("DRILL")).state.messages == 0


async def test_the_relay_leaves_fresh_rows_to_the_publisher_for_its_grace_period(
    db: asyncpg.Pool, js: JetStreamContext
) -> None:
    ids = await write_events(db, 4)
    assert await OutboxRelay(db, js, grace_seconds=60).publish_pending() == 0
    assert (await js.stream_info("DRILL")).state.messages == 0
    assert await OutboxRelay(db, js, grace_seconds=0).publish_pending() == 4
    assert await stream_ids(js) == ids


async def test_an_event_both_paths_send_is_stored_once(
    db: asyncpg.Pool, js: JetStreamContext
) -> None:
    publisher = OutboxPublisher(db, js, mark_delay=60)  # the relay sweeps before it marks
    events = [drill_event(n) for n in range(5)]
    await commit_events(db, publisher, events)
    await eventually(lambda: _stream_has(js, 5), timeout=5.0)
    assert await OutboxRelay(db, js, grace_seconds=0).publish_pending() == 5
    await publisher.aclose()
    assert await stream_ids(js) == [e.id for e in events]
    assert await _backlog_is_empty(db)


@pytest.mark.slow
async def test_events_committed_while_nats_is_down_are_sent_by_the_relay_once_it_is_back(
    db: asyncpg.Pool,
    js: JetStreamContext,
    nats_server,  # type: ignore[no-untyped-def]
) -> None:
    publisher = OutboxPublisher(db, js)
    nats_server.stop()
    try:
        events = [drill_event(n) for n in range(3)]
        await commit_events(db, publisher, events)  # the commit itself does not wait for NATS
        await publisher.aclose()  # its acks never came
        assert await db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 3
    finally:
        nats_server.start()
    relay = OutboxRelay(db, js, poll_seconds=0.1, grace_seconds=0.5)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        await eventually(lambda: _backlog_is_empty(db), timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
    assert await stream_ids(js) == [e.id for e in events]


async def test_each_event_is_published_once_in_commit_order(
    db: asyncpg.Pool, js: JetStreamContext
) -> None:
    ids = await write_events(db, 250)
    relay = OutboxRelay(db, js, batch_size=100, grace_seconds=0)
    while await relay.publish_pending():
        pass
    assert await stream_ids(js) == ids
    assert await relay.backlog() == 0


@pytest.mark.slow
async def test_a_relay_killed_mid_batch_resends_and_the_stream_drops_the_copies(
    db: asyncpg.Pool, js: JetStreamContext, pg_url: str, nats_url: str
) -> None:
    ids = await write_events(db, 3000)
    relay_cmd = [sys.executable, "-m", "tests.support.relay_process", pg_url, nats_url, "1000"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(relay_cmd, cwd=REPO, env=env)

    async def some_published() -> bool:
        return (await js.stream_info("DRILL")).state.messages >= 300

    await eventually(some_published)
    first.send_signal(signal.SIGKILL)
    first.wait()
    in_stream = (await js.stream_info("DRILL")).state.messages
    marked = await db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")
    # The drill only means something if the kill left published-but-unmarked rows behind.
    assert in_stream > marked

    second = subprocess.Popen(relay_cmd, cwd=REPO, env=env)
    try:
        await eventually(lambda: _backlog_is_empty(db), timeout=60)
    finally:
        second.terminate()
        second.wait()
    assert await stream_ids(js) == ids  # all 3000, once each, in order


async def _backlog_is_empty(db: asyncpg.Pool) -> bool:
    return await db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


@pytest.mark.slow
async def test_while_nats_is_down_events_wait_in_the_outbox_then_drain(
    db: asyncpg.Pool,
    js: JetStreamContext,
    nats_server,  # type: ignore[no-untyped-def]
) -> None:
    relay = OutboxRelay(db, js, batch_size=50, poll_seconds=0.2, grace_seconds=0)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        first = await write_events(db, 10)
        await eventually(lambda: _backlog_is_empty(db))
        nats_server.stop()
        later = await write_events(db, 40)
        await asyncio.sleep(1.0)
        assert await relay.backlog() == 40  # held, not lost
        nats_server.start()
        await eventually(lambda: _backlog_is_empty(db), timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert await stream_ids(js) == first + later


async def test_only_one_relay_per_database_publishes(
    db: asyncpg.Pool, js: JetStreamContext
) -> None:
    stop = asyncio.Event()
    relays = [OutboxRelay(db, js, batch_size=20, poll_seconds=0.1, grace_seconds=0)
              for _ in range(3)]
    tasks = [asyncio.create_task(r.run(stop)) for r in relays]
    try:
        ids = []
        for _ in range(10):
            ids += await write_events(db, 30, per_tx=7)
        await eventually(lambda: _backlog_is_empty(db))
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    assert await stream_ids(js) == ids

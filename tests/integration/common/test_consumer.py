"""The durable pull consumer: resumes after downtime, splits work between replicas, dead-letters poison."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from fitshop_common.events import Envelope
from fitshop_common.messaging import EventConsumer, Handler, Poison, ensure_stream
from fitshop_common.settings import NatsSettings
from tests.support.waiting import eventually


def drill(n: int, kind: str = "drill.happened") -> Envelope:
    return Envelope.new(kind, {"n": n}, producer="drill", correlation_id=f"agg-{n}")


async def publish(js: JetStreamContext, *events: Envelope) -> None:
    for e in events:
        await js.publish(e.subject(), e.encode(), headers={"Nats-Msg-Id": e.id})


@pytest.fixture
async def js(nc: NATS, nats_url: str) -> JetStreamContext:
    jsc = nc.jetstream()
    for stream in ("DRILL", "DEADLETTER"):
        with contextlib.suppress(Exception):
            await jsc.delete_stream(stream)
    await ensure_stream(jsc, "drill", NatsSettings(nats_url=nats_url))
    await ensure_stream(jsc, "deadletter", NatsSettings(nats_url=nats_url))
    return jsc


class Running:
    """A consumer loop running in the background until stopped."""

    def __init__(self, consumer: EventConsumer) -> None:
        self.consumer = consumer
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(consumer.run(self.stop))

    async def halt(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 10)


def consumer(nc: NATS, handler: Handler, nats_url: str, **kw: object) -> EventConsumer:
    return EventConsumer(
        nc,
        service="drillsvc",
        context="drill",
        handlers={"drill.happened": handler, "drill.poisoned": handler},
        settings=NatsSettings(nats_url=nats_url),
        **kw,
    )  # type: ignore[arg-type]


@pytest.fixture
async def seen() -> AsyncIterator[list[int]]:
    yield []


async def test_a_consumer_that_was_down_gets_everything_published_meanwhile(
    js: JetStreamContext, nc: NATS, nats_url: str, seen: list[int]
) -> None:
    async def record(event: Envelope) -> None:
        seen.append(event.data["n"])

    running = Running(consumer(nc, record, nats_url))
    await publish(js, *(drill(n) for n in range(10)))
    await eventually(lambda: _count_is(seen, 10))
    await running.halt()

    await publish(js, *(drill(n) for n in range(10, 30)))  # nobody listening
    await asyncio.sleep(0.3)
    assert len(seen) == 10

    running = Running(consumer(nc, record, nats_url))
    await eventually(lambda: _count_is(seen, 30))
    await running.halt()
    assert sorted(seen) == list(range(30))


async def _count_is(items: list[int], n: int) -> bool:
    return len(items) >= n


async def test_two_replicas_share_the_work_and_never_both_take_an_event(
    js: JetStreamContext, nc: NATS, nats_url: str
) -> None:
    taken: dict[str, list[int]] = {"a": [], "b": []}
    second_nc = await nats.connect(nats_url)
    try:

        def taker(name: str) -> Handler:
            async def take(event: Envelope) -> None:
                await asyncio.sleep(0.001)  # let both replicas hold messages at once
                taken[name].append(event.data["n"])

            return take

        a = Running(consumer(nc, taker("a"), nats_url, concurrency=8))
        b = Running(consumer(second_nc, taker("b"), nats_url, concurrency=8))
        await publish(js, *(drill(n) for n in range(500)))
        everything = taken["a"]  # alias, re-read in predicate

        async def all_taken() -> bool:
            return len(everything) + len(taken["b"]) >= 500

        await eventually(all_taken)
        await asyncio.sleep(0.3)  # a duplicate would show up by now
        await a.halt()
        await b.halt()
    finally:
        await second_nc.close()
    counts = Counter(taken["a"] + taken["b"])
    assert sorted(counts) == list(range(500))
    assert max(counts.values()) == 1
    assert taken["a"] and taken["b"]  # both replicas worked


async def test_a_poison_event_is_dead_lettered_with_its_reason_and_the_stream_keeps_flowing(
    js: JetStreamContext, nc: NATS, nats_url: str, seen: list[int]
) -> None:
    attempts: Counter[int] = Counter()

    async def fragile(event: Envelope) -> None:
        attempts[event.data["n"]] += 1
        if event.data["n"] == 1:
            raise RuntimeError("database said no")
        seen.append(event.data["n"])

    running = Running(consumer(nc, fragile, nats_url, max_deliver=3, nak_delays=(0.05,)))
    await publish(js, drill(0), drill(1), drill(2))
    dead = await js.pull_subscribe("fitshop.deadletter.>", durable="ops", stream="DEADLETTER")
    [letter] = await dead.fetch(1, timeout=10)
    await eventually(lambda: _count_is(seen, 2))
    await running.halt()

    assert sorted(seen) == [0, 2]
    assert attempts[1] == 3  # max_deliver, then no more
    assert letter.subject == "fitshop.deadletter.drillsvc-drill"
    assert "database said no" in letter.headers["Fitshop-Dead-Reason"]
    assert letter.headers["Fitshop-Original-Subject"] == "fitshop.drill.drill.happened"
    assert Envelope.__name__ and b'"n":1' in letter.data


async def test_undecodable_data_and_declared_poison_go_straight_to_the_dead_letters(
    js: JetStreamContext, nc: NATS, nats_url: str, seen: list[int]
) -> None:
    async def refuse(event: Envelope) -> None:
        if event.type == "drill.poisoned":
            raise Poison("amount is negative")
        seen.append(event.data["n"])

    running = Running(consumer(nc, refuse, nats_url, max_deliver=5))
    await js.publish("fitshop.drill.drill.happened", b"{not an envelope")
    await publish(js, drill(7, kind="drill.poisoned"), drill(8))
    dead = await js.pull_subscribe("fitshop.deadletter.>", durable="ops2", stream="DEADLETTER")
    letters = await dead.fetch(2, timeout=10)
    await eventually(lambda: _count_is(seen, 1))
    await running.halt()
    reasons = sorted(m.headers["Fitshop-Dead-Reason"].split(":")[0] for m in letters)
    assert reasons == ["poison", "undecodable event"]
    assert seen == [8]


async def test_shutdown_finishes_the_events_in_hand_before_returning(
    js: JetStreamContext, nc: NATS, nats_url: str, seen: list[int]
) -> None:
    started = asyncio.Event()

    async def slow(event: Envelope) -> None:
        started.set()
        await asyncio.sleep(0.5)
        seen.append(event.data["n"])

    running = Running(consumer(nc, slow, nats_url))
    await publish(js, drill(1))
    await asyncio.wait_for(started.wait(), 5)
    await running.halt()  # returns only after the handler finished and acked
    assert seen == [1]
    info = await js.consumer_info("DRILL", "drillsvc-drill")
    assert info.num_ack_pending == 0 and info.num_pending == 0


async def test_an_event_published_after_the_open_pull_request_expired_still_arrives(
    js: JetStreamContext, nc: NATS, nats_url: str, seen: list[int]
) -> None:
    async def record(event: Envelope) -> None:
        seen.append(event.data["n"])

    running = Running(consumer(nc, record, nats_url, pull_expires=0.4, heartbeat=0.1))
    await asyncio.sleep(1.5)  # several requests expired (408) and were renewed meanwhile
    await publish(js, drill(1))
    await eventually(lambda: _count_is(seen, 1), timeout=5)
    await running.halt()


@pytest.mark.slow
async def test_after_a_broker_crash_the_consumer_asks_again_and_misses_nothing(
    js: JetStreamContext, nc: NATS, nats_url: str, seen: list[int],
    nats_server,  # type: ignore[no-untyped-def]
) -> None:
    async def record(event: Envelope) -> None:
        seen.append(event.data["n"])

    running = Running(consumer(nc, record, nats_url, heartbeat=0.2))
    await publish(js, drill(1))
    await eventually(lambda: _count_is(seen, 1))
    # Killed, the server cannot tell anyone (no "409 Server Shutdown"): its waiting pull
    # requests are simply gone, and only the missing heartbeats say so.
    await asyncio.to_thread(nats_server.kill)
    await asyncio.to_thread(nats_server.start)
    await eventually(lambda: _reconnected(nc), timeout=20)
    await publish(js, *(drill(n) for n in range(2, 6)))
    await eventually(lambda: _count_is(seen, 5), timeout=20)
    await running.halt()
    assert sorted(seen) == [1, 2, 3, 4, 5]


async def _reconnected(nc: NATS) -> bool:
    return nc.is_connected

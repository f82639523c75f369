"""The rebuild sequence: announce, replay, switch once, drop the old generation after a grace."""

from __future__ import annotations

import uuid

import pytest

from order_view.application.rebuild import Rebuild
from tests.contract.order_view.events import delivered_story, order_cancelled, order_placed
from tests.unit.order_view.fakes import FakeEventLog, FakeKeyspaces


def streams(*stories: list) -> dict[str, list]:  # type: ignore[type-arg]
    events = [e for story in stories for e in story]
    return {"orders": [e for e in events if e.producer == "orders"],
            "delivery": [e for e in events if e.producer == "delivery"]}


async def test_a_rebuild_replays_everything_into_a_new_keyspace_then_switches_and_drops_the_old() -> None:
    keyspaces = FakeKeyspaces()
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    log = FakeEventLog(streams(delivered_story(a), [order_placed(b), order_cancelled(b)]))

    report = await Rebuild(keyspaces, log).run(grace_seconds=0)

    assert (report.keyspace, report.previous) == ("v2", "v1")
    assert report.events == {"orders": 3, "delivery": 4}
    assert report.applied == 7 and report.skipped == 0
    assert keyspaces.current == "v2" and keyspaces.building is None
    assert keyspaces.log == ["begin v2", "switch v1->v2", "drop v1"]
    assert set(keyspaces.stores["v2"].views) == {a, b}


async def test_a_failed_replay_leaves_readers_on_the_old_keyspace_and_removes_the_new_one() -> None:
    keyspaces = FakeKeyspaces()
    log = FakeEventLog(streams(delivered_story(str(uuid.uuid4()))))
    log.fail_after = 0
    with pytest.raises(ConnectionError):
        await Rebuild(keyspaces, log).run(grace_seconds=0)
    assert keyspaces.current == "v1" and keyspaces.building is None
    assert keyspaces.log == ["begin v2", "abandon v2", "drop v2"]


async def test_a_rebuild_that_lost_its_lease_never_switches() -> None:
    keyspaces = FakeKeyspaces()
    keyspaces.lease_lost = True  # e.g. the process stalled longer than the lease
    with pytest.raises(RuntimeError, match="lease"):
        await Rebuild(keyspaces, FakeEventLog(streams())).run(grace_seconds=0)
    assert keyspaces.current == "v1"


async def test_events_the_projection_refuses_are_counted_not_fatal() -> None:
    keyspaces = FakeKeyspaces()
    broken = order_placed(str(uuid.uuid4()))
    broken.data["order_version"] = "one"
    report = await Rebuild(keyspaces, FakeEventLog({"orders": [broken]})).run(grace_seconds=0)
    assert report.skipped == 1 and keyspaces.current == "v2"


async def test_leftovers_of_a_crashed_rebuild_are_dropped_too() -> None:
    keyspaces = FakeKeyspaces()
    await keyspaces.begin_build()  # v2: a rebuild that died without cleaning up
    keyspaces.building = None      # its lease lapsed
    report = await Rebuild(keyspaces, FakeEventLog(streams())).run(grace_seconds=0)
    assert report.keyspace == "v3"
    assert sorted(keyspaces.dropped) == ["v1", "v2"]

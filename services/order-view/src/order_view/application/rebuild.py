"""Rebuild the read model from the streams into a fresh keyspace, then switch readers over at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter

import msgspec

from fitshop_common.events import Envelope
from fitshop_common.messaging import Poison
from order_view.application.ports import EventLog, Keyspaces
from order_view.application.projection import Projection

log = logging.getLogger(__name__)

CONTEXTS = ("orders", "delivery")


class RebuildReport(msgspec.Struct, frozen=True, kw_only=True):
    keyspace: str
    previous: str | None
    events: dict[str, int]
    """Events replayed per context."""
    applied: int
    """Events that changed the new keyspace (the rest were superseded or duplicates)."""
    skipped: int
    """Events the projection refuses (unknown type, broken contract): the live consumer dead-letters them."""
    dropped_keys: int
    seconds: float


class Rebuild:
    """Replays every stream into a new keyspace while live writes feed it too, then switches.

    Order of steps matters: the new keyspace is announced *before* each replay fixes its end,
    so an event is either older than that end (the replay applies it) or handled by the live
    consumer after the announcement (which also writes it to the new keyspace). Applying an
    event twice is harmless: the store applies each event id once and never regresses a part.
    """

    def __init__(self, keyspaces: Keyspaces, events: EventLog, *, lease_renew_seconds: float = 5.0,
                 window: int = 64) -> None:
        self._keyspaces = keyspaces
        self._events = events
        self._renew_every = lease_renew_seconds
        self._window = window

    async def run(self, *, grace_seconds: float) -> RebuildReport:
        started = time.monotonic()
        name = await self._keyspaces.begin_build()
        log.info("rebuild started", extra={"keyspace": name})
        lease = asyncio.create_task(self._keep_lease(name))
        counts: Counter[str] = Counter()
        try:
            projection = Projection(self._keyspaces.store(name))
            for context in CONTEXTS:
                await self._replay(context, projection, counts)
            if lease.done():
                lease.result()  # the lease was lost: live writes may have stopped feeding `name`
            await _stop(lease)
            # One SET (checked against the lease in the same script): readers move all at once.
            previous = await self._keyspaces.switch_to(name)
        except BaseException:
            await _stop(lease)
            await self._keyspaces.abandon(name)
            await self._keyspaces.drop(name)
            raise
        log.info("readers switched", extra={"keyspace": name, "previous": previous})
        dropped = 0
        if previous is not None and previous != name:
            # Requests that read the pointer just before the switch may still be reading `previous`.
            await asyncio.sleep(grace_seconds)
            dropped = await self._keyspaces.drop(previous)
        for leftover in await self._keyspaces.leftovers():
            dropped += await self._keyspaces.drop(leftover)
        return RebuildReport(
            keyspace=name,
            previous=previous,
            events={c: counts[c] for c in CONTEXTS},
            applied=counts["applied"],
            skipped=counts["skipped"],
            dropped_keys=dropped,
            seconds=round(time.monotonic() - started, 3),
        )

    async def _replay(self, context: str, projection: Projection, counts: Counter[str]) -> None:
        async def apply(event: Envelope) -> None:
            try:
                outcome = await projection.apply(event)
            except Poison as exc:
                log.warning("rebuild skipped an event", extra={"event_id": event.id, "reason": str(exc)})
                counts["skipped"] += 1
                return
            counts[outcome] += 1

        # Order does not matter (versions decide), so apply a window of events at a time.
        pending: set[asyncio.Task[None]] = set()
        try:
            async for event in self._events.replay(context):
                counts[context] += 1
                if len(pending) >= self._window:
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()  # a store failure aborts the rebuild
                pending.add(asyncio.create_task(apply(event)))
            if pending:
                done, pending = await asyncio.wait(pending)
                for task in done:
                    task.result()
        finally:
            for task in pending:
                task.cancel()

    async def _keep_lease(self, name: str) -> None:
        while True:
            await asyncio.sleep(self._renew_every)
            await self._keyspaces.keep_building(name)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task

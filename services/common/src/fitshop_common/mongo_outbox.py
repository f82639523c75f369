"""Outbox for MongoDB without multi-document transactions: events ride in the document they describe.

The writer puts `outbox_entries(events)` into an array field (default `outbox`) of the SAME
document write that records the change (a single-document write is the unit of atomicity), so
the change and its events exist together or not at all. `MongoOutboxRelay` publishes pending
entries to JetStream with `Nats-Msg-Id` = event id, then removes exactly the entries it
published with `$pullAll`.

Ordering: documents are relayed in `_id` order and each document's entries in array order, and
a relay stops at the first entry it cannot publish. So events are published in causal order as
long as the documents of one aggregate sort by `_id` in the order they were written (one
document per aggregate, or ids like `<aggregate>:<zero-padded version>`).

Replicas: every replica may run a relay. Two relays may publish the same entry; the stream's
duplicate window drops the copy, and `$pullAll` of an entry already pulled is a no-op.

FerretDB v1 (the local stack's MongoDB-wire server) applies an update as read-modify-write
without isolation: concurrent updates of one document can lose each other's changes. There,
let nothing but relays update a document once it is written, i.e. write each change as a new
document (as the catalog's product revisions do) rather than pushing onto a live aggregate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from fitshop_common.events import Envelope
from fitshop_common.outbox import PUBLISH_ERRORS, publish_until_acked
from fitshop_common.tracing import current_traceparent

log = logging.getLogger(__name__)

BACKLOG = Gauge("fitshop_mongo_outbox_backlog", "Documents with events not yet published",
                ["collection"])
PUBLISHED = Counter("fitshop_mongo_outbox_published_total", "Outbox events published to JetStream",
                    ["collection"])



def outbox_entries(events: Sequence[Envelope]) -> list[dict[str, Any]]:
    """The pending-event entries to store in the document's outbox field, in publishing order."""
    traceparent = current_traceparent()
    return [
        {"id": e.id, "subject": e.subject(), "payload": e.encode().decode(),
         "headers": {"traceparent": traceparent}}
        for e in events
    ]


class MongoOutboxRelay:
    """Publishes the pending outbox entries of `collection` to JetStream, at least once, in order.

    `wake()` (called by the writer in the same process) makes it look at once; otherwise it
    polls every `poll_seconds` (a MongoDB-wire server may not offer change streams).
    """

    def __init__(
        self,
        collection: AsyncCollection[Mapping[str, Any]],
        js: JetStreamContext,
        *,
        field: str = "outbox",
        batch_size: int = 100,
        poll_seconds: float = 0.5,
    ) -> None:
        self._collection = collection
        self._js = js
        self._field = field
        self._batch = batch_size
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._pending_filter = {f"{field}.0": {"$exists": True}}

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                sent = await self.publish_pending(stop)
            except PyMongoError as exc:
                # The database is away: the entries are safe where they are; try again later.
                log.warning("outbox relay cannot read %s: %r", self._collection.name, exc)
                sent = 0
            if sent == 0:
                waiter = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({waiter, stopper}, timeout=self._poll,
                                   return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()

    async def publish_pending(self, stop: asyncio.Event | None = None) -> int:
        """Publish one batch of documents' pending entries; returns how many entries were published."""
        cursor = (
            self._collection.find(self._pending_filter, {self._field: 1})
            .sort("_id", 1)
            .limit(self._batch)
        )
        sent = 0
        async for document in cursor:
            entries: list[dict[str, Any]] = list(document.get(self._field) or [])
            done: list[dict[str, Any]] = []
            try:
                for entry in entries:
                    await self._publish(entry, stop)
                    done.append(entry)
            except PUBLISH_ERRORS:
                if stop is None or not stop.is_set():
                    raise
            finally:
                # Remove what made it even when stopping mid-document, so little is resent.
                if done:
                    await self._collection.update_one(
                        {"_id": document["_id"]}, {"$pullAll": {self._field: done}}
                    )
                    PUBLISHED.labels(self._collection.name).inc(len(done))
                    sent += len(done)
            if len(done) < len(entries):
                break  # stopping: later documents may hold later events of the same aggregate
        BACKLOG.labels(self._collection.name).set(await self.backlog())
        return sent

    async def _publish(self, entry: Mapping[str, Any], stop: asyncio.Event | None) -> None:
        headers = {**entry.get("headers", {}), "Nats-Msg-Id": str(entry["id"])}
        await publish_until_acked(self._js, entry["subject"], str(entry["payload"]).encode(),
                                  headers, stop)

    async def backlog(self) -> int:
        """Documents that still hold unpublished events."""
        return int(await self._collection.count_documents(self._pending_filter))



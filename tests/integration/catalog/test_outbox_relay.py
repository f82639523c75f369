"""The document outbox relay against real FerretDB and JetStream: once per event id, in order."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict

from nats.js import JetStreamContext

from catalog.bootstrap import Store
from catalog.domain.commands import DeleteProduct, RegisterProduct, UpdateProduct
from catalog.domain.product import Money, ProductChanges, ProductDetails
from fitshop_common.mongo_outbox import MongoOutboxRelay
from tests.integration.catalog.jetstream import stream_messages
from tests.support.waiting import eventually


async def write_changes(store: Store, products: int, updates: int) -> list[str]:
    """Register `products`, then update each `updates` times; answers the event ids written."""
    ids = []
    for p in range(products):
        product = await store.service.register(RegisterProduct(
            f"PLATE-{p:02d}KG", ProductDetails(f"원판 {p}kg", "", "weights", Money(10_000 + p), 5)))
        for u in range(updates):
            await store.service.update(UpdateProduct(product.id, product.version,
                                                     ProductChanges(stock=10 + u)))
            product = await store.service.get(product.id)
    async for revision in store.products.revisions.find({}).sort("_id", 1):
        ids += [entry["id"] for entry in revision["outbox"]]
    return ids


def versions_per_product(messages: list[tuple[str, bytes]]) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = defaultdict(list)
    for _, payload in messages:
        data = json.loads(payload)["data"]
        seen[data["product_id"]].append(data["version"])
    return seen


async def test_each_event_is_published_once_with_its_id_then_cleared(store: Store, js: JetStreamContext) -> None:
    ids = await write_changes(store, products=3, updates=2)
    relay = MongoOutboxRelay(store.products.revisions, js)
    assert await relay.backlog() == 9
    assert await relay.publish_pending() == 9
    assert await relay.publish_pending() == 0
    messages = await stream_messages(js)
    assert sorted(i for i, _ in messages) == sorted(ids)
    assert await relay.backlog() == 0
    assert await store.products.revisions.count_documents({"outbox.0": {"$exists": True}}) == 0


async def test_events_of_one_product_are_published_in_version_order(store: Store, js: JetStreamContext) -> None:
    await write_changes(store, products=4, updates=5)
    relay = MongoOutboxRelay(store.products.revisions, js, batch_size=7)  # batches cut products
    while await relay.publish_pending():
        pass
    for versions in versions_per_product(await stream_messages(js)).values():
        assert versions == sorted(versions) == list(range(1, 7))


async def test_two_relays_at_once_still_store_each_event_once_and_in_order(
    store: Store, js: JetStreamContext,
) -> None:
    ids = await write_changes(store, products=5, updates=4)
    first = MongoOutboxRelay(store.products.revisions, js, batch_size=3)
    second = MongoOutboxRelay(store.products.revisions, js, batch_size=3)
    stop = asyncio.Event()
    runs = [asyncio.create_task(first.run(stop)), asyncio.create_task(second.run(stop))]

    async def all_published() -> bool:
        return len(await stream_messages(js)) >= len(ids) and await first.backlog() == 0

    await eventually(all_published)
    stop.set()
    await asyncio.gather(*runs)
    messages = await stream_messages(js)
    assert sorted(i for i, _ in messages) == sorted(ids)  # nothing twice, nothing missing
    for versions in versions_per_product(messages).values():
        assert versions == list(range(1, 6))


async def test_a_relay_killed_midway_leaves_the_rest_to_the_next_one_without_duplicates(
    store: Store, js: JetStreamContext,
) -> None:
    ids = await write_changes(store, products=6, updates=3)
    killed = MongoOutboxRelay(store.products.revisions, js, batch_size=1)
    stop = asyncio.Event()
    task = asyncio.create_task(killed.run(stop))
    await eventually(lambda: _at_least(js, 5))
    task.cancel()  # no graceful stop: whatever it was doing is cut off
    await asyncio.gather(task, return_exceptions=True)
    assert await killed.backlog() > 0

    successor = MongoOutboxRelay(store.products.revisions, js)
    while await successor.publish_pending():
        pass
    messages = await stream_messages(js)
    assert sorted(i for i, _ in messages) == sorted(ids)
    assert await successor.backlog() == 0


async def test_a_delete_after_updates_arrives_last(store: Store, js: JetStreamContext) -> None:
    product = await store.service.register(RegisterProduct(
        "FOAM-ROLLER-45", ProductDetails("폼롤러", "", "recovery", Money(19_000), 5)))
    await store.service.update(UpdateProduct(product.id, 1, ProductChanges(stock=6)))
    await store.service.delete(DeleteProduct(product.id))
    relay = MongoOutboxRelay(store.products.revisions, js)
    await relay.publish_pending()
    types = [json.loads(payload)["type"] for _, payload in await stream_messages(js)]
    assert types == ["product.registered", "product.updated", "product.deleted"]


async def _at_least(js: JetStreamContext, count: int) -> bool:
    return len(await stream_messages(js)) >= count

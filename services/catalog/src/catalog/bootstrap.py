"""One place builds the catalog: MongoDB client and indexes, NATS, relay, consumers, the service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client as NATS
from pymongo import AsyncMongoClient

from catalog.adapters.clock import SystemClock
from catalog.adapters.mongo_repository import MongoProductRepository
from catalog.application.service import PRODUCER, CatalogService
from catalog.entrypoints.consumers import order_handlers
from catalog.settings import CatalogSettings
from fitshop_common.messaging import EventConsumer, connect, ensure_stream
from fitshop_common.mongo_outbox import MongoOutboxRelay
from fitshop_common.settings import MongoSettings, NatsSettings


@dataclass
class Store:
    client: AsyncMongoClient[Mapping[str, Any]]
    products: MongoProductRepository
    service: CatalogService


@dataclass
class Runtime:
    service: CatalogService
    store: Store
    nc: NATS
    relay: MongoOutboxRelay
    consumers: list[EventConsumer] = field(default_factory=list)


@asynccontextmanager
async def open_store(settings: MongoSettings) -> AsyncIterator[Store]:
    """The MongoDB side alone (the seed needs no broker: its events wait in the outbox)."""
    client: AsyncMongoClient[Mapping[str, Any]] = AsyncMongoClient(
        settings.mongo_url, tz_aware=True, serverSelectionTimeoutMS=5000)
    try:
        db = client.get_default_database(default=settings.mongo_db)
        products = MongoProductRepository(db)
        await products.ensure_indexes()
        yield Store(client, products, CatalogService(products, SystemClock()))
    finally:
        await client.close()


@asynccontextmanager
async def bootstrap(mongo: MongoSettings, nats: NatsSettings,
                    catalog: CatalogSettings) -> AsyncIterator[Runtime]:
    nc = await connect(nats, PRODUCER)
    try:
        js = nc.jetstream()
        await ensure_stream(js, PRODUCER, nats)
        async with open_store(mongo) as store:
            relay = MongoOutboxRelay(store.products.revisions, js,
                                     poll_seconds=catalog.relay_poll_seconds)
            store.products.on_saved = relay.wake  # a write in this replica relays at once
            consumers = []
            if catalog.consume_orders:
                consumers.append(EventConsumer(
                    nc, service=PRODUCER, context="orders",
                    handlers=order_handlers(store.service), settings=nats))
            yield Runtime(store.service, store, nc, relay, consumers)
    finally:
        await nc.drain()



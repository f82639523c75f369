"""Builds the delivery service: pool, migrations, NATS, outbox publisher and relay, the order consumer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from nats.aio.client import Client as NATS

from delivery.adapters.postgres import PostgresDeliveryQueue, PostgresDeliveryUnitOfWork
from delivery.application.service import PRODUCER, DeliveryService
from delivery.entrypoints.consumers import order_event_handlers
from fitshop_common.messaging import EventConsumer, connect, ensure_stream
from fitshop_common.migrate import migrate_service
from fitshop_common.outbox import OutboxPublisher, OutboxRelay
from fitshop_common.postgres import create_pool
from fitshop_common.settings import NatsSettings, PostgresSettings, nats_settings, postgres_settings


@dataclass
class Runtime:
    service: DeliveryService
    pool: asyncpg.Pool
    nc: NATS
    relay: OutboxRelay
    consumers: list[EventConsumer]


@asynccontextmanager
async def bootstrap(postgres: PostgresSettings | None = None,
                    nats: NatsSettings | None = None) -> AsyncIterator[Runtime]:
    """Everything the service runs on; settings default to the environment's."""
    pg = postgres or postgres_settings()
    ns = nats or nats_settings()
    await migrate_service(pg.database_url, "delivery")
    pool = await create_pool(pg)
    try:
        nc = await connect(ns, PRODUCER)
        try:
            js = nc.jetstream()
            # Our own stream must exist before the relay publishes into it.
            await ensure_stream(js, PRODUCER, ns)
            publisher = OutboxPublisher(pool, js)
            service = DeliveryService(lambda: PostgresDeliveryUnitOfWork(pool, publisher),
                                      PostgresDeliveryQueue(pool))
            orders = EventConsumer(nc, service=PRODUCER, context="orders",
                                   handlers=order_event_handlers(service), settings=ns)
            try:
                yield Runtime(service=service, pool=pool, nc=nc, relay=OutboxRelay(pool, js),
                              consumers=[orders])
            finally:
                await publisher.aclose()
        finally:
            await nc.drain()
    finally:
        await pool.close()

"""One place builds everything: pool, migrations, NATS, outbox publisher and relay, payment client,
service, consumers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from nats.aio.client import Client as NATS

from fitshop_common.messaging import EventConsumer, connect, ensure_stream
from fitshop_common.migrate import migrate_service
from fitshop_common.outbox import OutboxPublisher, OutboxRelay
from fitshop_common.postgres import create_pool
from fitshop_common.settings import NatsSettings, PostgresSettings, nats_settings, postgres_settings
from orders.adapters.payment_client import GatewayConfig, HttpPaymentGateway
from orders.adapters.unit_of_work import OrdersUnitOfWork
from orders.application.ports import PaymentGateway
from orders.application.service import OrdersService, Policy
from orders.entrypoints.consumers import catalog_handlers, delivery_handlers
from orders.settings import OrdersSettings, orders_settings


@dataclass
class Runtime:
    service: OrdersService
    pool: asyncpg.Pool
    nc: NATS
    relay: OutboxRelay
    consumers: list[EventConsumer]
    gateway: PaymentGateway
    settings: OrdersSettings


def gateway_from(settings: OrdersSettings) -> HttpPaymentGateway:
    return HttpPaymentGateway(GatewayConfig(
        base_url=settings.payment_url,
        timeout_seconds=settings.payment_timeout_seconds,
        connect_timeout_seconds=settings.payment_connect_timeout_seconds,
        attempts=settings.payment_attempts,
        breaker_failures=settings.payment_breaker_failures,
        breaker_recovery_seconds=settings.payment_breaker_recovery_seconds,
        retry_after_seconds=settings.payment_retry_after_seconds,
    ))


def policy_from(settings: OrdersSettings) -> Policy:
    return Policy(
        reconcile_grace_seconds=settings.reconcile_grace_seconds,
        reconcile_settle_seconds=settings.reconcile_settle_seconds,
        # A repeated request waits as long as the first may spend paying.
        replay_wait_seconds=settings.payment_timeout_seconds * settings.payment_attempts + 1.0,
    )


@asynccontextmanager
async def bootstrap(
    *,
    settings: OrdersSettings | None = None,
    postgres: PostgresSettings | None = None,
    nats: NatsSettings | None = None,
    gateway: PaymentGateway | None = None,
) -> AsyncIterator[Runtime]:
    """Open every resource of the service; tests pass their own settings or a fake gateway."""
    settings = settings or orders_settings()
    postgres = postgres or postgres_settings()
    nats = nats or nats_settings()
    await migrate_service(postgres.database_url, "orders")
    pool = await create_pool(postgres)
    own_gateway = gateway is None
    payment = gateway or gateway_from(settings)
    nc: NATS | None = None
    try:
        nc = await connect(nats, "orders")
        js = nc.jetstream()
        await ensure_stream(js, "orders", nats)  # the relay publishes into it
        publisher = OutboxPublisher(pool, js)
        service = OrdersService(lambda: OrdersUnitOfWork(pool, publisher), payment,
                                policy=policy_from(settings))
        consumers = [
            EventConsumer(nc, service="orders", context="catalog",
                          handlers=catalog_handlers(service), settings=nats),
            EventConsumer(nc, service="orders", context="delivery",
                          handlers=delivery_handlers(service), settings=nats),
        ]
        try:
            yield Runtime(service=service, pool=pool, nc=nc, relay=OutboxRelay(pool, js),
                          consumers=consumers, gateway=payment, settings=settings)
        finally:
            await publisher.aclose()
    finally:
        if nc is not None:
            await nc.drain()
        if own_gateway and isinstance(payment, HttpPaymentGateway):
            await payment.aclose()
        await pool.close()

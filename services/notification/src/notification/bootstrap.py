"""Builds the notification service: Redis, NATS, the two event consumers, the e-mail dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from nats.aio.client import Client as NATS
from redis.asyncio import Redis

from fitshop_common.messaging import EventConsumer, connect
from fitshop_common.settings import NatsSettings, RedisSettings, nats_settings, redis_settings
from notification.adapters.redis_store import RedisEmailQueue, RedisNotificationStore
from notification.adapters.smtp import SmtpEmailChannel
from notification.application.service import EmailDispatcher, NotificationService
from notification.entrypoints.consumers import (
    DELIVERY_EVENTS,
    ORDER_EVENTS,
    notification_handlers,
)
from notification.settings import MailSettings, mail_settings

SERVICE = "notification"


@dataclass
class Runtime:
    service: NotificationService
    dispatcher: EmailDispatcher
    queue: RedisEmailQueue
    redis: Redis
    nc: NATS
    consumers: list[EventConsumer]


@asynccontextmanager
async def bootstrap(redis: RedisSettings | None = None, nats: NatsSettings | None = None,
                    mail: MailSettings | None = None) -> AsyncIterator[Runtime]:
    """Everything the service runs on; settings default to the environment's."""
    rs, ns, ms = redis or redis_settings(), nats or nats_settings(), mail or mail_settings()
    client = Redis.from_url(rs.redis_url, decode_responses=True)
    try:
        queue = RedisEmailQueue(
            client, retry_seconds=ms.email_retry_seconds,
            # Longer than the slowest send in hand, so two workers never send one e-mail at once.
            lease_seconds=ms.email_tries_per_attempt * (ms.smtp_timeout_seconds + 2.0) + 5.0)
        await queue.ensure()
        nc = await connect(ns, SERVICE)
        try:
            service = NotificationService(RedisNotificationStore(client))
            dispatcher = EmailDispatcher(queue, SmtpEmailChannel(ms),
                                         max_attempts=ms.email_max_attempts,
                                         tries_per_attempt=ms.email_tries_per_attempt)
            consumers = [
                EventConsumer(nc, service=SERVICE, context="orders", settings=ns,
                              handlers=notification_handlers(service, ORDER_EVENTS)),
                EventConsumer(nc, service=SERVICE, context="delivery", settings=ns,
                              handlers=notification_handlers(service, DELIVERY_EVENTS)),
            ]
            yield Runtime(service=service, dispatcher=dispatcher, queue=queue, redis=client,
                          nc=nc, consumers=consumers)
        finally:
            await nc.drain()
    finally:
        await client.aclose()

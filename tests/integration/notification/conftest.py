"""Fixtures: a real notification service on a flushed Redis, a clean JetStream and a real SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from fitshop_common.messaging import ensure_stream
from fitshop_common.settings import NatsSettings
from fitshop_devstack.probes import free_port
from notification.settings import MailSettings
from tests.integration.notification.harness import (
    Running,
    SmtpSink,
    fast_mail,
    running_notification,
)
from tests.support.tokens import JwksServer


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def mail(smtp: SmtpSink) -> MailSettings:
    return fast_mail(smtp.port)


@pytest.fixture
async def notification(redis_url: str, nats_url: str, jwks: JwksServer,
                       mail: MailSettings) -> AsyncIterator[Running]:
    async with running_notification(redis_url, nats_url, jwks, mail) as replica:
        yield replica


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc: NATS = await nats.connect(nats_url)
    jsc = nc.jetstream()
    for context in ("orders", "delivery"):
        await ensure_stream(jsc, context, NatsSettings(nats_url=nats_url))
    yield jsc
    await nc.close()

"""Fixtures: a real delivery service on a fresh PostgreSQL database and a clean JetStream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from fitshop_common.messaging import ensure_stream
from fitshop_common.settings import NatsSettings
from tests.integration.delivery.harness import Running, running_delivery
from tests.support.tokens import JwksServer


@pytest.fixture
async def delivery(pg_url: str, nats_url: str, jwks: JwksServer) -> AsyncIterator[Running]:
    async with running_delivery(pg_url, nats_url, jwks) as replica:
        yield replica


@pytest.fixture
async def db(pg_url: str, delivery: Running) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection to the service's database (after its migrations ran)."""
    conn = await asyncpg.connect(pg_url)
    yield conn
    await conn.close()


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc: NATS = await nats.connect(nats_url)
    jsc = nc.jetstream()
    await ensure_stream(jsc, "orders", NatsSettings(nats_url=nats_url))
    yield jsc
    await nc.close()

"""Fixtures for the catalog against the real MongoDB-wire server (FerretDB) and NATS JetStream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from catalog.bootstrap import Store, open_store
from fitshop_common.messaging import ensure_stream
from fitshop_common.settings import MongoSettings, NatsSettings


@pytest.fixture
def mongo(mongo_url: str) -> MongoSettings:
    return MongoSettings(mongo_url=mongo_url)


@pytest.fixture
async def store(mongo: MongoSettings) -> AsyncIterator[Store]:
    async with open_store(mongo) as opened:
        yield opened


@pytest.fixture
async def js(nc: NATS, nats_settings: NatsSettings) -> JetStreamContext:
    jsc = nc.jetstream()
    await ensure_stream(jsc, "catalog", nats_settings)
    return jsc

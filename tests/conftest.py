"""Fixtures every test layer shares: one token signer with its JWKS server, and NATS clients.

The real servers themselves (`pg_url`, `nats_url`, `redis_url`, …) come from the devstack
pytest plugin; folders add their own fixtures on top of these.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import nats
import pytest
from nats.aio.client import Client as NATS

from fitshop_common.settings import NatsSettings
from tests.support.tokens import JwksServer, Signer


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture(scope="session")
def jwks(signer: Signer) -> Iterator[JwksServer]:
    with JwksServer(signer).running() as server:
        yield server


@pytest.fixture
def nats_settings(nats_url: str) -> NatsSettings:
    return NatsSettings(nats_url=nats_url)


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NATS]:
    """A client that rides out a broker restart, as the services' own does."""
    client = await nats.connect(nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.1)
    yield client
    await client.close()

"""Fixtures for order-view against real Redis and NATS JetStream (devstack plugin) and a real JWKS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest
from litestar import Litestar
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from redis.asyncio import Redis

from fitshop_common.messaging import ensure_stream
from fitshop_common.security import TokenVerifier
from fitshop_common.settings import JwtSettings, NatsSettings, RedisSettings
from order_view.entrypoints.http import create_app
from order_view.settings import OrderViewSettings
from tests.integration.order_view.support import running
from tests.support.tokens import AUDIENCE, ISSUER, JwksServer


@pytest.fixture
def jwt(jwks: JwksServer) -> JwtSettings:
    return JwtSettings(jwks_url=jwks.url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)


@pytest.fixture
def redis_settings(redis_url: str) -> RedisSettings:
    return RedisSettings(redis_url=redis_url)


@pytest.fixture
def view_settings() -> OrderViewSettings:
    return OrderViewSettings(sse_heartbeat_seconds=0.2, rebuild_grace_seconds=0.5)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def js(nc: NATS, nats_settings: NatsSettings) -> JetStreamContext:
    """JetStream with the ORDERS and DELIVERY streams as their producers create them."""
    context = nc.jetstream()
    await ensure_stream(context, "orders", nats_settings)
    await ensure_stream(context, "delivery", nats_settings)
    return context


@pytest.fixture
async def app(
    redis_settings: RedisSettings, nats_settings: NatsSettings, view_settings: OrderViewSettings,
    jwt: JwtSettings, js: JetStreamContext,
) -> AsyncIterator[Litestar]:
    """The whole service started in this event loop: HTTP routes plus both durable consumers."""
    verifier = TokenVerifier(jwt)
    service = create_app(redis=redis_settings, nats=nats_settings, settings=view_settings,
                         token_verifier=verifier)
    async with running(service):
        yield service
    await verifier.aclose()


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app),
                                  base_url="http://order-view") as http:
        yield http

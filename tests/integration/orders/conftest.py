"""Fixtures for orders against real PostgreSQL, NATS JetStream and the real payment-provider mock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from fitshop_common.migrate import migrate_service
from fitshop_common.postgres import create_pool
from fitshop_common.security import TokenVerifier
from fitshop_common.settings import JwtSettings, NatsSettings, PostgresSettings
from orders.entrypoints.http import create_app, service_lifespan
from tests.integration.orders.scenario import drill_settings
from tests.integration.orders.served import PaymentMock
from tests.support.tokens import AUDIENCE, ISSUER, JwksServer, Signer


@pytest.fixture
def customer(signer: Signer) -> dict[str, str]:
    return {"Authorization": f"Bearer {signer.token('alice', ['customer'], email='alice@example.com')}"}


@pytest.fixture
async def orders_postgres(pg_url: str) -> PostgresSettings:
    """A fresh database with the orders schema."""
    await migrate_service(pg_url, "orders")
    return PostgresSettings(database_url=pg_url, database_pool_min=1, database_pool_max=10)


@pytest.fixture
async def pool(orders_postgres: PostgresSettings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(orders_postgres)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def payment_mock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaymentMock]:
    mock = PaymentMock(tmp_path_factory.mktemp("payment") / "payment.log")
    mock.start()
    yield mock
    mock.stop()


@pytest.fixture
def payment_mock(payment_mock_server: PaymentMock) -> PaymentMock:
    """The served mock with every fault cleared."""
    payment_mock_server.set_faults()
    return payment_mock_server


@dataclass
class OrdersApp:
    client: AsyncTestClient[Litestar]
    app: Litestar


@pytest.fixture
async def orders_app(orders_postgres: PostgresSettings, nats_settings: NatsSettings,
                     payment_mock: PaymentMock, jwks: JwksServer,
                     request: pytest.FixtureRequest) -> AsyncIterator[OrdersApp]:
    """The whole orders service in-process (relay, consumers, reconciler running)."""
    overrides = getattr(request, "param", {})
    verifier = TokenVerifier(JwtSettings(jwks_url=jwks.url, jwt_issuer=ISSUER,
                                         jwt_audience=AUDIENCE))
    app = create_app(
        lifespan=service_lifespan(settings=drill_settings(payment_mock.url, **overrides),
                                  postgres=orders_postgres, nats=nats_settings),
        token_verifier=verifier)
    async with AsyncTestClient(app, timeout=30) as client:
        yield OrdersApp(client, app)
    await verifier.aclose()

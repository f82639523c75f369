"""Fault drills for orders reuse the integration fixtures (real PostgreSQL, NATS, payment mock)."""

from tests.integration.orders.conftest import (
    customer,
    jwks,
    nats_settings,
    orders_app,
    orders_postgres,
    payment_mock,
    payment_mock_server,
    pool,
    signer,
)

__all__ = ["customer", "jwks", "nats_settings", "orders_app", "orders_postgres", "payment_mock",
           "payment_mock_server", "pool", "signer"]

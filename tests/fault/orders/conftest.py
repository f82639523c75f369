"""Fault drills for orders reuse the integration fixtures (real PostgreSQL, NATS, payment mock)."""

from tests.integration.orders.conftest import (
    customer,
    orders_app,
    orders_postgres,
    payment_mock,
    payment_mock_server,
    pool,
)

__all__ = ["customer", "orders_app", "orders_postgres", "payment_mock", "payment_mock_server",
           "pool"]

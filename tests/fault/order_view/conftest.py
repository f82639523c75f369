"""The order-view integration fixtures (real Redis, NATS, JWKS), reused by the fault drills."""

from tests.integration.order_view.conftest import (  # noqa: F401 - fixtures are found by name
    app,
    client,
    js,
    jwt,
    redis,
    redis_settings,
    view_settings,
)

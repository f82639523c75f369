"""The order-view integration fixtures (real Redis, NATS, JWKS), reused by the fault drills."""

from tests.integration.order_view.conftest import (  # noqa: F401 - fixtures are found by name
    app,
    client,
    js,
    jwks,
    jwt,
    nats_settings,
    nc,
    redis,
    redis_settings,
    signer,
    view_settings,
)

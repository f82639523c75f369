"""order-view's own settings (env prefix `ORDER_VIEW_`), next to the shared ones of fitshop_common."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from fitshop_common.settings import ServiceSettings, service_settings

SERVICE = "order-view"
"""Also the stem of the durable consumer names (`order-view-orders`, `order-view-delivery`)."""


class OrderViewSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDER_VIEW_", use_attribute_docstrings=True,
                                      extra="ignore", frozen=True)

    key_prefix: str = "order-view"
    """Prefix of every Redis key and channel of this service."""
    sse_heartbeat_seconds: float = 15.0
    """Idle time after which the SSE stream sends a comment line (keeps proxies from timing out)."""
    consumer_concurrency: int = 16
    """Events applied at once per stream (order does not matter: versions decide)."""
    redis_check_seconds: float = 5.0
    """How often the projector checks that Redis still holds the view (else it replays all)."""
    rebuild_grace_seconds: float = 30.0
    """How long a rebuild keeps the old keyspace after switching (for requests still reading it)."""
    rebuild_lease_seconds: float = 30.0
    """A rebuild's announcement lapses this long after its process stops renewing it."""


@lru_cache
def order_view_settings() -> OrderViewSettings:
    return OrderViewSettings()


def order_view_service_settings() -> ServiceSettings:
    """The shared service settings, named order-view unless SERVICE_NAME says otherwise."""
    settings = service_settings()
    if "SERVICE_NAME" in os.environ:
        return settings
    return settings.model_copy(update={"service_name": SERVICE})

"""Catalog-only settings, read from the environment (CATALOG_*); shared ones come from fitshop_common."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class CatalogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", use_attribute_docstrings=True,
                                      extra="ignore", frozen=True)

    relay_poll_seconds: float = 0.5
    """How often the outbox relay looks for events written by other replicas (or the seed)."""
    consume_orders: bool = True
    """Consume OrderPlaced / OrderCancelled to move stock (off only for isolated tests)."""


@lru_cache
def catalog_settings() -> CatalogSettings:
    return CatalogSettings()

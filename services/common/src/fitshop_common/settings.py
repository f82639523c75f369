"""Typed settings per concern, read from the environment with local defaults and cached."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class _Settings(BaseSettings):
    model_config = SettingsConfigDict(use_attribute_docstrings=True, extra="ignore", frozen=True)


class ServiceSettings(_Settings):
    service_name: str = "fitshop"
    """Name of this service in logs, metrics, event `producer` and consumer durable names."""
    log_level: str = "INFO"
    """Root log level."""
    max_body_bytes: int = 1024 * 1024
    """Largest accepted request body; larger answers 413 problem+json."""
    shutdown_grace_seconds: float = 25.0
    """Time allowed for draining consumers and relays on SIGTERM (below the pod's grace period)."""
    liveness_switch: bool = False
    """Expose PUT /health/live/switch so a demo can make liveness fail (self-healing drill)."""


class PostgresSettings(_Settings):
    database_url: str = "postgresql://postgres@127.0.0.1:5440/postgres"
    """PostgreSQL DSN of this service's own database."""
    database_pool_min: int = 2
    """Connections the pool keeps open."""
    database_pool_max: int = 20
    """Most connections the pool opens."""


class MongoSettings(_Settings):
    mongo_url: str = "mongodb://127.0.0.1:27030/"
    """MongoDB (or FerretDB) connection string."""
    mongo_db: str = "catalog"
    """Database name of this service."""


class RedisSettings(_Settings):
    redis_url: str = "redis://127.0.0.1:6390/0"
    """Redis URL of this service's keyspace."""


class NatsSettings(_Settings):
    nats_url: str = "nats://127.0.0.1:4230"
    """NATS server URL (JetStream enabled)."""
    nats_duplicate_window_seconds: float = 600.0
    """JetStream dedup window; longer than the outbox relay's longest retry."""


class JwtSettings(_Settings):
    jwt_issuer: str = "http://127.0.0.1:8000/auth"
    """Expected `iss` of access tokens."""
    jwt_audience: str = "fitshop"
    """Expected `aud` of access tokens."""
    jwks_url: str = "http://127.0.0.1:8101/auth/jwks.json"
    """Where the issuer publishes its signing keys (our auth service or an external IdP)."""
    jwks_min_refresh_seconds: float = 10.0
    """Least time between two JWKS fetches triggered by unknown `kid`s (stops key-id floods)."""
    jwt_leeway_seconds: int = 30
    """Clock skew tolerated on `exp`, `nbf` and `iat`."""


@lru_cache
def service_settings() -> ServiceSettings:
    return ServiceSettings()


@lru_cache
def postgres_settings() -> PostgresSettings:
    return PostgresSettings()


@lru_cache
def mongo_settings() -> MongoSettings:
    return MongoSettings()


@lru_cache
def redis_settings() -> RedisSettings:
    return RedisSettings()


@lru_cache
def nats_settings() -> NatsSettings:
    return NatsSettings()


@lru_cache
def jwt_settings() -> JwtSettings:
    return JwtSettings()

"""Settings of the payment-provider mock, read from the environment (PAYMENT_*)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PaymentSettings(BaseSettings):
    model_config = SettingsConfigDict(
        use_attribute_docstrings=True, extra="ignore", frozen=True, populate_by_name=True
    )

    faults_enabled: bool = Field(
        default=False,
        validation_alias=AliasChoices("PAYMENT_FAULTS_ENABLED", "FAULT_INJECTION_ENABLED"),
    )
    """Serve the fault-injection admin API on its own port (off unless asked for)."""
    admin_host: str = Field(default="127.0.0.1", validation_alias="PAYMENT_ADMIN_HOST")
    """Address the admin API binds to (the chart sets 0.0.0.0; the gateway never routes it)."""
    admin_port: int = Field(
        default=8114, validation_alias=AliasChoices("PAYMENT_ADMIN_PORT", "ADMIN_PORT")
    )
    """Port of the admin API (the local stack passes ADMIN_PORT)."""
    latency_ms: int = Field(default=0, validation_alias="PAYMENT_LATENCY_MS")
    """Latency added to every call at startup (the admin API can change it)."""
    latency_jitter_ms: int = Field(default=0, validation_alias="PAYMENT_LATENCY_JITTER_MS")
    """Random extra latency in [0, jitter] at startup."""
    error_rate: float = Field(default=0.0, validation_alias="PAYMENT_ERROR_RATE")
    """Share of calls failing with 500 at startup."""
    max_concurrency: int | None = Field(default=None, validation_alias="PAYMENT_MAX_CONCURRENCY")
    """Calls in flight beyond this answer 503 at startup (unset or 0: unlimited)."""
    retry_after_seconds: int = Field(default=1, validation_alias="PAYMENT_RETRY_AFTER_SECONDS")
    """`Retry-After` sent with 503 overloaded answers."""
    data_dir: Path | None = Field(
        default=None, validation_alias=AliasChoices("PAYMENT_DATA_DIR", "DATA_DIR")
    )
    """Keep payments in DATA_DIR/payments.sqlite3; unset keeps them in memory only."""


@lru_cache
def payment_settings() -> PaymentSettings:
    return PaymentSettings()

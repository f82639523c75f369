"""Settings of the orders service itself (the shared ones live in fitshop_common.settings)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class OrdersSettings(BaseSettings):
    model_config = SettingsConfigDict(use_attribute_docstrings=True, extra="ignore", frozen=True)

    payment_url: str = "http://127.0.0.1:8104"
    """Base URL of the card payment provider (the payment-gateway mock locally)."""
    payment_timeout_seconds: float = 2.0
    """Longest wait for one provider answer; a charge that times out has an unknown outcome."""
    payment_connect_timeout_seconds: float = 0.5
    """Longest wait to open a connection to the provider (nothing was sent if it fails)."""
    payment_attempts: int = 2
    """Tries per provider call for failures that are safe to repeat."""
    payment_breaker_failures: int = 5
    """Consecutive failed provider calls that open the circuit breaker."""
    payment_breaker_recovery_seconds: float = 10.0
    """Seconds the breaker stays open before a probe call may close it."""
    payment_retry_after_seconds: int = 3
    """Retry-After sent to customers when the provider gave none."""
    reconcile_interval_seconds: float = 2.0
    """Pause between two passes of the payment reconciler."""
    reconcile_grace_seconds: float = 15.0
    """A PAYMENT_PENDING order younger than this may still be inside its request."""
    reconcile_settle_seconds: float = 30.0
    """'No such payment' at the provider is final only this long after the last attempt."""
    orders_grpc_host: str = "0.0.0.0"
    """Interface the gRPC server listens on."""
    orders_grpc_port: int = 8113
    """gRPC port (the chart uses 9090); 0 turns the gRPC server off."""


@lru_cache
def orders_settings() -> OrdersSettings:
    return OrdersSettings()

"""One place builds the provider: its store, its fault injector and the application service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from payment_gateway.adapters.clock import SystemClock
from payment_gateway.adapters.memory_store import InMemoryPaymentStore
from payment_gateway.adapters.sqlite_store import SqlitePaymentStore
from payment_gateway.application.faults import FaultInjector
from payment_gateway.application.ports import PaymentStore
from payment_gateway.application.service import PaymentProvider
from payment_gateway.domain.faults import Faults
from payment_gateway.settings import PaymentSettings


@dataclass
class Runtime:
    provider: PaymentProvider
    settings: PaymentSettings


def initial_faults(settings: PaymentSettings) -> Faults:
    """The faults in force at startup, from the PAYMENT_* environment defaults."""
    return Faults(
        latency_ms=settings.latency_ms,
        latency_jitter_ms=settings.latency_jitter_ms,
        error_rate=settings.error_rate,
        max_concurrency=settings.max_concurrency or None,
    )


@asynccontextmanager
async def bootstrap(
    settings: PaymentSettings, store: PaymentStore | None = None
) -> AsyncIterator[Runtime]:
    sqlite: SqlitePaymentStore | None = None
    if store is None:
        if settings.data_dir is not None:
            store = sqlite = SqlitePaymentStore(settings.data_dir / "payments.sqlite3")
        else:
            store = InMemoryPaymentStore()
    injector = FaultInjector(initial_faults(settings),
                             retry_after_seconds=settings.retry_after_seconds)
    try:
        yield Runtime(PaymentProvider(store, injector, SystemClock()), settings)
    finally:
        if sqlite is not None:
            sqlite.close()

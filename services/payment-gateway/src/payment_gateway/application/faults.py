"""Applies the faults in force to each provider call: admission (outage, overload), latency, errors."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from payment_gateway.application.errors import InjectedFailure, Overloaded
from payment_gateway.domain.faults import Faults

Sleep = Callable[[float], Awaitable[None]]


class FaultInjector:
    """Holds the faults in force (changed at run time by the admin API) and counts calls in flight."""

    def __init__(
        self,
        faults: Faults | None = None,
        *,
        retry_after_seconds: int = 1,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.faults = faults or Faults()
        self._retry_after = retry_after_seconds
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def replace(self, faults: Faults) -> Faults:
        """Put `faults` in force from the next call on; calls in flight keep the ones they started with."""
        self.faults = faults
        return faults

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[Faults]:
        """Admit one call or refuse it as overloaded; yields the faults that apply to it."""
        faults = self.faults
        if faults.outage:
            raise Overloaded("The payment service is temporarily unavailable.", self._retry_after)
        if faults.max_concurrency is not None and self._in_flight >= faults.max_concurrency:
            raise Overloaded("Too many payment requests in flight; retry shortly.", self._retry_after)
        self._in_flight += 1
        try:
            yield faults
        finally:
            self._in_flight -= 1

    async def delay(self, faults: Faults) -> None:
        """Sleep the configured latency plus a uniformly random jitter."""
        jitter = self._rng.uniform(0, faults.latency_jitter_ms) if faults.latency_jitter_ms else 0.0
        milliseconds = faults.latency_ms + jitter
        if milliseconds > 0:
            await self._sleep(milliseconds / 1000)

    def maybe_fail(self, faults: Faults) -> None:
        """Raise InjectedFailure for a share `error_rate` of calls."""
        if faults.error_rate and self._rng.random() < faults.error_rate:
            raise InjectedFailure("An internal error occurred at the payment provider.")

"""The wall clock, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from payment_gateway.application.ports import Clock


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)

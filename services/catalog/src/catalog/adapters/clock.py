"""The wall clock in UTC, at millisecond precision."""

from __future__ import annotations

from datetime import UTC, datetime

from catalog.application.ports import Clock


class SystemClock(Clock):
    def now(self) -> datetime:
        # MongoDB dates hold milliseconds: cut here so an answer never differs from a re-read.
        now = datetime.now(UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

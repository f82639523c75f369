"""Login throttling: how many unconfirmed attempts per username and address, and for how long."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Admitted:
    """The attempt may check the password."""


@dataclass(frozen=True)
class Throttled:
    """Too many recent failures: come back after `retry_after` seconds."""

    retry_after: int


@dataclass(frozen=True)
class LoginThrottle:
    """At most `max_failures` unconfirmed attempts per (username, address) within `window`.

    Attempts are counted *before* the password is checked and forgotten when one succeeds, so
    parallel guesses cannot slip past the limit while the slow hash is being computed.
    """

    max_failures: int = 5
    window: timedelta = timedelta(minutes=5)

    def since(self, now: datetime) -> datetime:
        """Attempts older than this no longer count."""
        return now - self.window

    def admit(self, recent: Sequence[datetime], now: datetime) -> Admitted | Throttled:
        counted = sorted(at for at in recent if at > self.since(now))
        if len(counted) < self.max_failures:
            return Admitted()
        # The block lifts when enough of the counted attempts have aged out of the window.
        frees_at = counted[len(counted) - self.max_failures] + self.window
        return Throttled(retry_after=max(1, math.ceil((frees_at - now).total_seconds())))

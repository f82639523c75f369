"""Kong's rate-limiting plugin, `local` policy: fixed calendar windows counted in this process."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from edge.exchange import Exchange, Exit, kong_error
from edge.plugins.base import Plugin

PERIODS = ("second", "minute", "hour", "day", "month", "year")
EXPIRATION = {"second": 1, "minute": 60, "hour": 3600, "day": 86400,
              "month": 2592000, "year": 31536000}
EMPTY_UUID = "00000000-0000-0000-0000-000000000000"


def period_starts(now: float) -> dict[str, int]:
    """Start of each window holding `now`, in ms, on UTC calendar boundaries (Kong's timestamps)."""
    moment = datetime.fromtimestamp(int(now), UTC)
    second = moment.replace(microsecond=0)
    starts = {
        "second": second,
        "minute": second.replace(second=0),
        "hour": second.replace(second=0, minute=0),
        "day": second.replace(second=0, minute=0, hour=0),
        "month": second.replace(second=0, minute=0, hour=0, day=1),
        "year": second.replace(second=0, minute=0, hour=0, day=1, month=1),
    }
    return {period: int(start.timestamp()) * 1000 for period, start in starts.items()}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class LocalCounters:
    """The `local` policy's counters: one process is one Kong node (not shared between nodes)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, ...], float] = {}
        self._last_prune = 0.0

    def usage(self, key: tuple[str, ...]) -> float:
        return self._counts.get(key, 0)

    def increment(self, key: tuple[str, ...]) -> None:
        self._counts[key] = self._counts.get(key, 0) + 1

    def prune(self, now: float) -> None:
        """Forget windows that have ended (checked at most once a second)."""
        if now - self._last_prune < 1:
            return
        self._last_prune = now
        now_ms = now * 1000
        self._counts = {
            key: count for key, count in self._counts.items()
            if int(key[-1]) + EXPIRATION[key[-2]] * 1000 > now_ms
        }


COUNTERS = LocalCounters()


class RateLimitingPlugin(Plugin):
    name = "rate-limiting"
    priority = 910

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.limits = {p: self.entry.config[p] for p in PERIODS if p in self.entry.config}
        self.limit_by: str = self.setting("limit_by", "consumer")
        self.header_name: str | None = self.setting("header_name", None)
        self.path: str | None = self.setting("path", None)
        self.hide_client_headers: bool = self.setting("hide_client_headers", False)
        self.error_code: int = self.setting("error_code", 429)
        self.error_message: str = self.setting("error_message", "API rate limit exceeded")
        # Kong keys local counters by the plugin's own route/service scope, not the request's.
        self.scope = (
            self.entry.route.id if self.entry.route else EMPTY_UUID,
            self.entry.service.id if self.entry.service else EMPTY_UUID,
        )
        self.counters = COUNTERS
        self.clock: Callable[[], float] = time.time

    def identifier(self, exchange: Exchange) -> str:
        found: str | None = None
        if self.limit_by == "service":
            found = exchange.service.id
        elif self.limit_by == "consumer":
            found = (exchange.consumer or exchange.credential or _Empty).id
        elif self.limit_by == "credential":
            found = (exchange.credential or _Empty).id
        elif self.limit_by == "header" and self.header_name:
            found = exchange.headers.get(self.header_name)
        elif self.limit_by == "path" and exchange.path == self.path:
            found = exchange.path
        return found or exchange.client_ip

    async def access(self, exchange: Exchange) -> Exit | None:
        now = int(self.clock())  # Kong counts in whole seconds (ngx.time)
        now_ms = now * 1000
        self.counters.prune(now)
        starts = period_starts(now)
        identifier = self.identifier(exchange)
        keys = {p: (*self.scope, identifier, p, str(starts[p])) for p in self.limits}
        remaining_of = {p: limit - self.counters.usage(keys[p]) for p, limit in self.limits.items()}
        stop = next((p for p, left in remaining_of.items() if left <= 0), None)

        headers: list[tuple[str, str]] = []
        reset: int | None = None
        if not self.hide_client_headers:
            chosen: tuple[float, int, float] | None = None  # (remaining, window, limit)
            for period, limit in self.limits.items():
                left = remaining_of[period]
                if stop is None or stop == period:
                    left -= 1
                left = max(0, left)
                window = EXPIRATION[period]
                if chosen is None or left < chosen[0] or (left == chosen[0] and window > chosen[1]):
                    chosen = (left, window, limit)
                    reset = max(1, window - math.floor((now_ms - starts[period]) / 1000))
                title = period.capitalize()
                headers.append((f"X-RateLimit-Limit-{title}", _number(limit)))
                headers.append((f"X-RateLimit-Remaining-{title}", _number(left)))
            assert chosen is not None
            headers += [("RateLimit-Limit", _number(chosen[2])),
                        ("RateLimit-Remaining", _number(chosen[0])),
                        ("RateLimit-Reset", str(reset))]
        if stop is not None:
            if reset is not None:
                headers.append(("Retry-After", str(reset)))
            return kong_error(self.error_code, self.error_message, exchange.request_id, headers)
        for name, value in headers:
            exchange.response_headers.set(name, value)
        for key in keys.values():
            self.counters.increment(key)
        return None


class _Empty:
    id = None

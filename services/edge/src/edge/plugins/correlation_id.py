"""Kong's correlation-id plugin: keep or mint a request id, pass it upstream and echo it back."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import Any

from edge.exchange import Exchange, Exit, Headers
from edge.plugins.base import Plugin

_WORKER_UUID = str(uuid.uuid4())
_COUNTER = itertools.count(1)

GENERATORS: dict[str, Callable[[], str]] = {
    "uuid": lambda: str(uuid.uuid4()),
    "uuid#counter": lambda: f"{_WORKER_UUID}#{next(_COUNTER)}",
}


class CorrelationIdPlugin(Plugin):
    name = "correlation-id"
    priority = 100001  # Kong 3.x runs it before every other plugin

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.header_name: str = self.setting("header_name", "Kong-Request-ID")
        self.generate = GENERATORS[self.setting("generator", "uuid#counter")]
        self.echo_downstream: bool = self.setting("echo_downstream", False)

    async def access(self, exchange: Exchange) -> Exit | None:
        correlation_id = exchange.headers.get(self.header_name)
        if not correlation_id:
            correlation_id = self.generate()
            exchange.set_upstream_header(self.header_name, correlation_id)
        exchange.state(self.name)["id"] = correlation_id
        return None

    def header_filter(self, exchange: Exchange, headers: Headers) -> None:
        if not self.echo_downstream:
            return
        correlation_id = exchange.state(self.name).get("id") or exchange.headers.get(
            self.header_name
        ) or self.generate()
        headers.set(self.header_name, correlation_id)

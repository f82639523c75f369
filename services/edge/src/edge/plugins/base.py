"""The shape every plugin of the edge has: Kong's phases access, header_filter and log."""

from __future__ import annotations

from typing import Any, ClassVar

from edge.config import GatewayConfig, PluginEntry
from edge.exchange import Exchange, Exit, Headers


class Plugin:
    """One configured plugin instance; subclasses read their settings with Kong 3.9's defaults."""

    name: ClassVar[str]
    priority: ClassVar[int]
    """Kong 3.9's PRIORITY of the plugin's handler: higher runs first."""

    def __init__(self, entry: PluginEntry, gateway: GatewayConfig) -> None:
        self.entry = entry
        self.gateway = gateway

    def setting(self, key: str, default: Any) -> Any:
        return self.entry.config.get(key, default)

    async def access(self, exchange: Exchange) -> Exit | None:
        """Runs before proxying; returning an Exit ends the request with that response."""
        return None

    def header_filter(self, exchange: Exchange, headers: Headers) -> None:
        """Adjusts the response headers (upstream's or an Exit's) before they are sent."""

    def log(self, exchange: Exchange) -> None:
        """Runs after the response has been sent."""

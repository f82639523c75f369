"""Kong's cors plugin: answers preflights itself, adds CORS headers to every other response."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from edge.exchange import Exchange, Exit, Headers
from edge.plugins.base import Plugin

DEFAULT_METHODS = ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"]
_PLAIN_ORIGIN = re.compile(r"[A-Za-z0-9.:/-]+")


@dataclass(frozen=True)
class _Origin:
    domain: str
    host: str


def normalize_origin(origin: str) -> _Origin:
    """scheme://host[:port] with the default port dropped, as Kong compares origins."""
    parts = urlsplit(origin)
    if not parts.hostname:
        return _Origin(origin, origin)
    try:
        port = parts.port
    except ValueError:
        return _Origin(origin, origin)
    if (parts.scheme, port) in (("http", 80), ("https", 443)):
        port = None
    scheme = f"{parts.scheme}://" if parts.scheme else ""
    return _Origin(f"{scheme}{parts.hostname}" + (f":{port}" if port else ""), parts.hostname)


class CorsPlugin(Plugin):
    name = "cors"
    priority = 2000

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.origins: list[str] = self.setting("origins", [])
        self.allow_headers: list[str] = self.setting("headers", [])
        self.exposed_headers: list[str] = self.setting("exposed_headers", [])
        self.methods: list[str] = self.setting("methods", DEFAULT_METHODS)
        self.max_age: float | None = self.setting("max_age", None)
        self.credentials: bool = self.setting("credentials", False)
        self.private_network: bool = self.setting("private_network", False)
        self.preflight_continue: bool = self.setting("preflight_continue", False)
        self._matchers: list[tuple[re.Pattern[str] | None, _Origin | None, bool]] = []
        for entry in self.origins:
            if entry == "*":
                continue  # handled by configure_origin
            by_host = ":" not in entry
            if _PLAIN_ORIGIN.fullmatch(entry):
                self._matchers.append((None, normalize_origin(entry), by_host))
            else:  # Kong anchors origin regexes at both ends
                body = entry[1:] if entry.startswith("^") else entry
                body = body if body.endswith("$") else body + "$"
                self._matchers.append((re.compile(body), None, by_host))

    def configure_origin(self, headers: Headers, origin: str | None, *, add_vary: bool) -> bool:
        """Sets Access-Control-Allow-Origin; True when every origin is allowed ('*')."""
        if not self.origins or self.origins == ["*"]:
            headers.set("Access-Control-Allow-Origin", "*")
            return True
        self._vary(headers, add=add_vary)
        if len(self.origins) == 1 and _PLAIN_ORIGIN.fullmatch(self.origins[0]):
            headers.set("Access-Control-Allow-Origin", self.origins[0])
            return False
        if origin:
            if "*" in self.origins:
                headers.set("Access-Control-Allow-Origin", "*")
                return True
            requested = normalize_origin(origin)
            for pattern, plain, by_host in self._matchers:
                if pattern is not None:
                    subject = requested.host if by_host else requested.domain
                    found = pattern.match(subject) is not None
                else:
                    found = plain is not None and plain.domain == requested.domain
                if found:
                    headers.set("Access-Control-Allow-Origin", requested.domain)
                    return False
        headers.remove("Access-Control-Allow-Origin")
        return False

    @staticmethod
    def _vary(headers: Headers, *, add: bool) -> None:
        if add:
            headers.add("Vary", "Origin")
        else:
            headers.set("Vary", "Origin")

    def configure_credentials(self, headers: Headers, allow_all: bool, origin: str | None,
                              *, add_vary: bool) -> None:
        if not self.credentials:
            return
        if not allow_all:
            headers.set("Access-Control-Allow-Credentials", "true")
        elif origin:  # '*' cannot go with credentials: reflect the origin instead
            self._vary(headers, add=add_vary)
            headers.set("Access-Control-Allow-Origin", origin)
            headers.set("Access-Control-Allow-Credentials", "true")

    async def access(self, exchange: Exchange) -> Exit | None:
        origin = exchange.headers.get("Origin")
        if (exchange.method != "OPTIONS" or not origin
                or not exchange.headers.get("Access-Control-Request-Method")):
            return None
        exchange.state(self.name)["preflight"] = True
        if self.preflight_continue:
            return None
        headers = Headers()
        allow_all = self.configure_origin(headers, origin, add_vary=False)
        self.configure_credentials(headers, allow_all, origin, add_vary=False)
        requested = exchange.headers.get("Access-Control-Request-Headers")
        if self.allow_headers:
            headers.set("Access-Control-Allow-Headers", ",".join(self.allow_headers))
        elif requested:
            headers.set("Access-Control-Allow-Headers", requested)
        headers.set("Access-Control-Allow-Methods", ",".join(self.methods))
        if self.max_age is not None:
            headers.set("Access-Control-Max-Age", _number(self.max_age))
        if (self.private_network
                and exchange.headers.get("Access-Control-Request-Private-Network") == "true"):
            headers.set("Access-Control-Allow-Private-Network", "true")
        return Exit(200, b"", headers)

    def header_filter(self, exchange: Exchange, headers: Headers) -> None:
        if exchange.state(self.name).get("preflight"):
            return  # answered above, or delegated to the upstream (preflight_continue)
        origin = exchange.headers.get("Origin")
        allow_all = self.configure_origin(headers, origin, add_vary=True)
        self.configure_credentials(headers, allow_all, origin, add_vary=True)
        if self.exposed_headers:
            headers.set("Access-Control-Expose-Headers", ",".join(self.exposed_headers))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)

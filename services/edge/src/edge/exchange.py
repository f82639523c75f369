"""One request through the edge: what plugins read and change, and the edge's own responses."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from edge.config import Consumer, JwtCredential, Route, Service
from edge.router import Match

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]

JSON_TYPE = "application/json; charset=utf-8"


class Headers:
    """An ordered multi-map of HTTP headers with case-insensitive names."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = list(items)

    @classmethod
    def from_asgi(cls, raw: Iterable[tuple[bytes, bytes]]) -> Headers:
        return cls((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw)

    def to_asgi(self) -> list[tuple[bytes, bytes]]:
        return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self._items]

    def get(self, name: str, default: str | None = None) -> str | None:
        lowered = name.lower()
        for key, value in self._items:
            if key.lower() == lowered:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self._items if key.lower() == lowered]

    def set(self, name: str, value: str) -> None:
        self.remove(name)
        self._items.append((name, value))

    def add(self, name: str, value: str) -> None:
        self._items.append((name, value))

    def remove(self, name: str) -> None:
        lowered = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lowered]

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None


@dataclass
class Exit:
    """A response the edge makes itself instead of proxying (Kong's kong.response.exit/error)."""

    status: int
    body: bytes
    headers: Headers = field(default_factory=Headers)
    source: str = "exit"
    """Kong's response source label: 'exit' (a plugin ended the request) or 'error' (the proxy)."""


def json_exit(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Exit:
    """kong.response.exit(status, table, headers): the table as compact JSON."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Exit(status, body, Headers([("Content-Type", JSON_TYPE), *headers]))


def kong_error(
    status: int, message: str, request_id: str, headers: Iterable[tuple[str, str]] = (),
    *, source: str = "exit",
) -> Exit:
    """kong.response.error(status, message, headers): Kong 3.9's JSON error page with request_id."""
    body = json.dumps({"message": message, "request_id": request_id}, separators=(",", ":"))
    return Exit(status, body.encode(), Headers([("Content-Type", JSON_TYPE), *headers]), source)


class BodyTooLarge(Exception):
    """The request body grew past the limit while it was being read."""


class RequestBody:
    """The client's request body: streamed upstream, or read first when a plugin must see it."""

    def __init__(self, receive: Receive, content_length: int | None, chunked: bool) -> None:
        self._receive = receive
        self.content_length = content_length
        self.chunked = chunked
        self._buffered: bytes | None = None
        self.finished = not chunked and not content_length
        self.done = asyncio.Event()
        if self.finished:
            self.done.set()
        self.disconnected = False
        self.received = 0

    async def receive_message(self) -> Message:
        """The next ASGI message once the body is read: in practice only `http.disconnect`."""
        return await self._receive()

    @property
    def present(self) -> bool:
        return self.chunked or bool(self.content_length) or bool(self._buffered)

    async def _chunks(self) -> AsyncIterator[bytes]:
        while not self.finished:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                self.finished = True
                self.done.set()
                return
            self.finished = not message.get("more_body", False)
            if self.finished:
                self.done.set()
            chunk = message.get("body", b"")
            if chunk:
                self.received += len(chunk)
                yield chunk

    async def read(self, limit: int) -> bytes:
        """The whole body, kept for the upstream; BodyTooLarge as soon as it passes `limit`."""
        if self._buffered is not None:
            return self._buffered
        parts: list[bytes] = []
        size = 0
        async for chunk in self._chunks():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            parts.append(chunk)
        self._buffered = b"".join(parts)
        return self._buffered

    async def drain(self, *, limit: int = 64 * 1024 * 1024, seconds: float = 10.0) -> None:
        """Read and drop what the client is still sending after an early answer, so it gets to
        read that answer instead of a reset connection (nginx's lingering close)."""
        if self.finished:
            return
        try:
            async with asyncio.timeout(seconds):
                async for _ in self._chunks():
                    if self.received > limit:
                        return
        except TimeoutError:
            return

    @property
    def buffered(self) -> bytes | None:
        return self._buffered

    async def stream(self) -> AsyncIterator[bytes]:
        if self._buffered is not None:
            yield self._buffered
            return
        async for chunk in self._chunks():
            yield chunk


@dataclass
class Exchange:
    """Everything the plugins of one request share (Kong's ngx.ctx / kong.ctx)."""

    method: str
    path: str
    """The normalised path the router matched and the upstream receives."""
    query_string: bytes
    headers: Headers
    client_ip: str
    host: str
    port: int
    match: Match
    request_id: str
    body: RequestBody
    started: float = field(default_factory=time.perf_counter)
    consumer: Consumer | None = None
    credential: JwtCredential | None = None
    upstream_header_edits: dict[str, str | None] = field(default_factory=dict)
    response_headers: Headers = field(default_factory=Headers)
    """Headers plugins set during access (Kong's kong.response.set_header before the response)."""
    plugin_state: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: int = 0
    source: str = "service"
    bytes_sent: int = 0
    upstream_started: float | None = None
    upstream_headers_at: float | None = None

    @property
    def route(self) -> Route:
        return self.match.route

    @property
    def service(self) -> Service:
        return self.match.route.service

    def set_upstream_header(self, name: str, value: str) -> None:
        self.upstream_header_edits[name.lower()] = value

    def clear_upstream_header(self, name: str) -> None:
        self.upstream_header_edits[name.lower()] = None

    def state(self, plugin: str) -> dict[str, Any]:
        return self.plugin_state.setdefault(plugin, {})

"""The dev edge's ASGI app: route, run plugins in Kong's order, proxy streaming both ways."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx2

from edge.config import ConfigError, load_config
from edge.exchange import Exchange, Exit, Headers, RequestBody, json_exit, kong_error
from edge.gateway import Gateway
from edge.logs import configure_logging
from edge.plugins import Plugin
from edge.proxy import Upstream, UpstreamFailure, hop_by_hop
from edge.router import normalize_path
from edge.settings import EdgeSettings
from edge.status import StatusServer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SERVER = "fitshop-dev-edge"
log = logging.getLogger("edge")
access_log = logging.getLogger("edge.access")


class UpstreamBrokeOff(Exception):
    """The upstream failed after its response had started; the client connection is cut."""


class Edge:
    """Kong's proxy listener for the routes and plugins of one kong.yml."""

    def __init__(self, gateway: Gateway, settings: EdgeSettings) -> None:
        self.gateway = gateway
        self.settings = settings
        self.upstream: Upstream | None = None
        self.status: StatusServer | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        # websockets are not routed by this config; the connection is simply not accepted

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except OSError as error:
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        self.upstream = Upstream()
        if self.settings.status_listen is not None:
            host, port = self.settings.status_listen
            self.status = StatusServer(host, port, self.gateway)
            await self.status.start()
        log.info("edge ready", extra={"config": str(self.settings.config_path)})

    async def shutdown(self) -> None:
        if self.status is not None:
            await self.status.stop()
        if self.upstream is not None:
            await self.upstream.aclose()

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.upstream is None:  # a server without lifespan support
            await self.startup()
        request_id = uuid.uuid4().hex
        headers = Headers.from_asgi(scope["headers"])
        method = scope["method"]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = normalize_path(raw_path.decode("latin-1"))
        started = time.perf_counter()
        body = RequestBody(receive, _content_length(headers),
                           "chunked" in (headers.get("transfer-encoding") or "").lower())
        match = self.gateway.router.match(method, path)
        if match is None:
            not_found = kong_error(404, "no Route matched with those values", request_id,
                                   source="error")
            await self.send_exit(send, method, not_found, request_id, started)
            await body.drain()
            self.access(method, path, not_found.status, None, started)
            return
        client = scope.get("client") or ("127.0.0.1", 0)
        server = scope.get("server") or ("127.0.0.1", 8000)
        host_header = headers.get("host") or f"{server[0]}:{server[1]}"
        exchange = Exchange(
            method=method, path=path, query_string=scope.get("query_string", b""),
            headers=headers, client_ip=client[0], host=host_header.rsplit(":", 1)[0],
            port=int(server[1] or 8000), match=match, request_id=request_id, body=body,
            started=started,
        )
        collected: list[Plugin] = []
        ending: Exit | None = None
        for name in self.gateway.plugin_names:
            plugin = self.gateway.resolve(name, exchange)
            if plugin is None:
                continue
            collected.append(plugin)
            if ending is None:  # like Kong's delayed response: later plugins still get their
                try:          # header_filter and log phases, but not access
                    ending = await plugin.access(exchange)
                except Exception:
                    log.exception("plugin %s failed", plugin.name)
                    ending = json_exit(500, {"message": "An unexpected error occurred"})
        try:
            if ending is not None:
                exchange.status, exchange.source = ending.status, ending.source
                for name, value in exchange.response_headers.items():
                    ending.headers.set(name, value)
                for plugin in collected:
                    plugin.header_filter(exchange, ending.headers)
                exchange.bytes_sent = await self.send_exit(send, method, ending, request_id,
                                                           started)
                await body.drain()
            else:
                await self.proxy(exchange, collected, send)
        finally:
            for plugin in collected:
                try:
                    plugin.log(exchange)
                except Exception:
                    log.exception("plugin %s failed in log phase", plugin.name)
            self.access(method, path, exchange.status, exchange, started)

    async def send_exit(self, send: Send, method: str, ending: Exit, request_id: str,
                        started: float) -> int:
        headers = ending.headers
        headers.set("Content-Length", str(len(ending.body)))
        headers.set("X-Kong-Response-Latency", str(_ms_since(started)))
        headers.set("Server", SERVER)
        headers.set("X-Kong-Request-Id", request_id)
        await send({"type": "http.response.start", "status": ending.status,
                    "headers": headers.to_asgi()})
        body = b"" if method == "HEAD" else ending.body
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return len(body)

    async def proxy(self, exchange: Exchange, collected: list[Plugin], send: Send) -> None:
        assert self.upstream is not None
        address = self.gateway.addresses[exchange.service.id]
        try:
            response = await self.upstream.open(exchange, address)
        except UpstreamFailure as failure:
            ending = failure.ending
            exchange.status, exchange.source = ending.status, ending.source
            for name, value in exchange.response_headers.items():
                ending.headers.set(name, value)
            for plugin in collected:
                plugin.header_filter(exchange, ending.headers)
            exchange.bytes_sent = await self.send_exit(send, exchange.method, ending,
                                                       exchange.request_id, exchange.started)
            await exchange.body.drain()
            return
        try:
            await self.stream_response(exchange, collected, response, send)
        finally:
            await response.aclose()

    async def stream_response(self, exchange: Exchange, collected: list[Plugin],
                              response: httpx2.Response, send: Send) -> None:
        upstream_headers = Headers(
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
        )
        dropped = hop_by_hop(upstream_headers.get_all("connection"))
        headers = Headers((k, v) for k, v in upstream_headers.items() if k.lower() not in dropped)
        for name, value in exchange.response_headers.items():
            headers.set(name, value)
        exchange.status, exchange.source = response.status_code, "service"
        for plugin in collected:
            plugin.header_filter(exchange, headers)
        upstream_ms = _ms_between(exchange.upstream_started, exchange.upstream_headers_at)
        headers.set("X-Kong-Upstream-Latency", str(upstream_ms))
        headers.set("X-Kong-Proxy-Latency", str(max(0, _ms_since(exchange.started) - upstream_ms)))
        headers.set("Via", f"1.1 {SERVER}")
        headers.set("X-Kong-Request-Id", exchange.request_id)
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": headers.to_asgi()})
        pump = asyncio.ensure_future(self.pump(exchange, response, send))
        watcher = asyncio.ensure_future(self.wait_for_disconnect(exchange))
        try:
            await asyncio.wait({pump, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, watcher):
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
        if pump.done() and not pump.cancelled() and pump.exception() is not None:
            error = pump.exception()
            # Past the status line nothing can be announced: end the connection like nginx.
            log.warning("upstream response of %s broke off: %r", exchange.path, error)
            raise UpstreamBrokeOff(str(error)) from error

    @staticmethod
    async def pump(exchange: Exchange, response: httpx2.Response, send: Send) -> None:
        """Copies the upstream body to the client chunk by chunk, as it arrives (SSE included)."""
        async for chunk in response.aiter_raw():
            try:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except Exception:  # the server refuses to send once the client has gone
                return
            exchange.bytes_sent += len(chunk)
        with contextlib.suppress(Exception):
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    async def wait_for_disconnect(exchange: Exchange) -> None:
        """Resolves when the client disconnects (only once its request body has been read)."""
        body = exchange.body
        await body.done.wait()
        if body.disconnected:
            return
        while True:
            message = await body.receive_message()
            if message["type"] == "http.disconnect":
                return

    def access(self, method: str, path: str, status: int, exchange: Exchange | None,
               started: float) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        extra: dict[str, Any] = {"method": method, "path": path, "status": status,
                                 "latency_ms": _ms_since(started)}
        if exchange is not None:
            extra.update(route=exchange.route.name, gateway_service=exchange.service.name,
                         source=exchange.source, request_id=exchange.request_id,
                         correlation_id=exchange.state("correlation-id").get("id"),
                         consumer=exchange.consumer.username if exchange.consumer else None)
        access_log.info("request", extra=extra)


def _content_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _ms_between(first: float | None, second: float | None) -> int:
    if first is None or second is None:
        return 0
    return int((second - first) * 1000)


def build_edge(settings: EdgeSettings) -> Edge:
    """Load and check the config; raises ConfigError naming what the edge cannot serve."""
    config = load_config(settings.config_path)
    return Edge(Gateway(config, settings.upstreams), settings)


def create_app() -> Edge:
    """granian --interface asgi --factory edge.app:create_app (refuses to start on a bad config)."""
    try:
        settings = EdgeSettings.from_env()
        configure_logging(settings.log_level)
        return build_edge(settings)
    except ConfigError as error:
        message = f"edge: refusing to start: {error}"
        print(message, file=sys.stderr, flush=True)
        raise SystemExit(message) from None

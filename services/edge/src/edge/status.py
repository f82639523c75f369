"""Kong's status listener stand-in: /metrics, /status and /status/ready on their own port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from edge.gateway import Gateway
from edge.plugins.prometheus import REGISTRY

log = logging.getLogger("edge.status")


class StatusServer:
    """A tiny HTTP/1.1 server (one request per connection) beside the proxy listener."""

    def __init__(self, host: str, port: int, gateway: Gateway) -> None:
        self.host, self.port = host, port
        self.gateway = gateway
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        log.info("status listener on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def answer(self, method: str, target: str) -> tuple[int, str, bytes]:
        path = target.split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            return 405, "application/json", b'{"message":"Method not allowed"}'
        if path == "/metrics":
            return 200, CONTENT_TYPE_LATEST, generate_latest(REGISTRY)
        if path == "/status/ready":
            return 200, "application/json", b'{"message":"ready"}'
        if path == "/status":
            config = self.gateway.config
            body = {
                "server": {"edge": "fitshop-dev-edge"},
                "configuration": {
                    "source": config.source, "services": len(config.services),
                    "routes": len(config.routes), "plugins": len(config.plugins),
                },
            }
            return 200, "application/json", json.dumps(body).encode()
        return 404, "application/json", b'{"message":"Not found"}'

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            method, target, *_ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            status, content_type, body = self.answer(method, target)
            reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}[status]
            writer.write(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + (b"" if method == "HEAD" else body)
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                ValueError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

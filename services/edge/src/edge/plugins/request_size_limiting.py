"""Kong's request-size-limiting plugin: 413 before the upstream sees a body over the limit."""

from __future__ import annotations

from typing import Any

from edge.exchange import BodyTooLarge, Exchange, Exit, kong_error
from edge.plugins.base import Plugin

UNIT_BYTES = {"bytes": 1, "kilobytes": 1024, "megabytes": 1024 * 1024}
MESSAGE = "Request size limit exceeded"


class RequestSizeLimitingPlugin(Plugin):
    name = "request-size-limiting"
    priority = 951

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        size = self.setting("allowed_payload_size", 128)
        self.allowed_bytes: int = size * UNIT_BYTES[self.setting("size_unit", "megabytes")]
        self.require_content_length: bool = self.setting("require_content_length", False)

    def too_large(self, exchange: Exchange) -> Exit:
        expect = (exchange.headers.get("Expect") or "").strip().lower()
        status = 417 if expect == "100-continue" else 413
        return kong_error(status, MESSAGE, exchange.request_id)

    async def access(self, exchange: Exchange) -> Exit | None:
        declared = exchange.body.content_length
        if declared is not None:
            return self.too_large(exchange) if declared > self.allowed_bytes else None
        if self.require_content_length and not exchange.body.chunked:
            return kong_error(411, "A valid Content-Length header is required",
                              exchange.request_id)
        if exchange.body.chunked:
            # Kong reads a body without Content-Length in full before it proxies; so does the
            # edge, stopping as soon as the limit is passed.
            try:
                await exchange.body.read(self.allowed_bytes)
            except BodyTooLarge:
                return self.too_large(exchange)
        return None

"""ASGI middleware that binds the correlation id and trace id of each request to its logs."""

from __future__ import annotations

import uuid

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from fitshop_common.logs import correlation_id
from fitshop_common.tracing import continue_or_start

# Kong's correlation-id plugin forwards this header (see gateway-config/kong.yml).
CORRELATION_HEADERS = (b"kong-request-id", b"x-correlation-id")


def correlation_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        cid = next((headers[h].decode() for h in CORRELATION_HEADERS if h in headers), None)
        cid = cid or str(uuid.uuid4())
        correlation_id.set(cid)
        continue_or_start(headers.get(b"traceparent", b"").decode() or None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-correlation-id", cid.encode()),
                ]
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware

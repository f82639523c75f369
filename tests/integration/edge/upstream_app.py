"""A real upstream for the edge tests: echoes, counts what reached it, and streams SSE on demand."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

seen: list[dict[str, Any]] = []
release = asyncio.Event()


async def _json(send: Send, status: int, payload: Any) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(parts)


async def _events(send: Send) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream"),
                            (b"cache-control", b"no-cache")]})
    await send({"type": "http.response.body", "body": b"data: first\n\n", "more_body": True})
    try:
        await asyncio.wait_for(release.wait(), timeout=20)
    finally:
        release.clear()
    await send({"type": "http.response.body", "body": b"data: second\n\n", "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/__seen":
        await _json(send, 200, seen)
        return
    if path == "/__reset":
        seen.clear()
        await _json(send, 200, {"ok": True})
        return
    if path == "/__release":
        release.set()
        await _json(send, 200, {"ok": True})
        return
    body = await _read_body(receive)
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    record = {
        "method": scope["method"],
        "path": scope.get("raw_path", path.encode()).decode("latin-1"),
        "query": scope.get("query_string", b"").decode("latin-1"),
        "headers": headers,
        "body_length": len(body),
    }
    seen.append(record)
    if path.endswith("/stream"):
        await _events(send)
        return
    await _json(send, 200, record)

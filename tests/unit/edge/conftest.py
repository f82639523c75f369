"""Builds in-memory exchanges so plugins can be exercised without sockets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import pytest

from edge.config import GatewayConfig, parse_config
from edge.exchange import Exchange, Headers, RequestBody
from edge.router import Router

ExchangeFactory = Callable[..., Exchange]


def body_from(chunks: Iterable[bytes]) -> Callable[[], Awaitable[dict[str, Any]]]:
    pending = list(chunks) or [b""]

    async def receive() -> dict[str, Any]:
        if not pending:
            return {"type": "http.disconnect"}
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    return receive


@pytest.fixture
def exchange_for() -> ExchangeFactory:
    def build(config: GatewayConfig, method: str = "GET", path: str = "/", *,
              headers: Iterable[tuple[str, str]] = (), query: bytes = b"",
              chunks: Iterable[bytes] = (), content_length: int | None = None,
              client_ip: str = "10.1.2.3") -> Exchange:
        match = Router(config.routes).match(method, path)
        assert match is not None, f"no route for {method} {path}"
        chunk_list = list(chunks)
        return Exchange(
            method=method, path=path, query_string=query, headers=Headers(headers),
            client_ip=client_ip, host="127.0.0.1", port=8000, match=match,
            request_id="rid", body=RequestBody(body_from(chunk_list), content_length,
                                               chunked=bool(chunk_list) and content_length is None),
        )

    return build


def minimal(**extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "_format_version": "3.0",
        "services": [{"name": "shop", "url": "http://fitshop-shop:8080",
                      "routes": [{"name": "all", "paths": ["/"], "strip_path": False}]}],
    }
    document.update(extra)
    return document


@pytest.fixture
def config_of() -> Callable[..., GatewayConfig]:
    return lambda **extra: parse_config(minimal(**extra))

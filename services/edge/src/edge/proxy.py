"""Forwarding upstream: Kong's proxy headers, timeouts, retries, and its answers when that fails."""

from __future__ import annotations

import logging
import time
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx2

from edge.exchange import Exchange, Exit, kong_error
from edge.router import upstream_path

log = logging.getLogger("edge.proxy")

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
    "upgrade",
})


def hop_by_hop(names_in_connection: list[str]) -> frozenset[str]:
    """The fixed hop-by-hop headers plus any the Connection header names."""
    extra = {token.strip().lower() for value in names_in_connection for token in value.split(",")}
    return HOP_BY_HOP | {token for token in extra if token}


class UpstreamFailure(Exception):
    """The upstream could not be reached or answered garbage; carries Kong's response for it."""

    def __init__(self, ending: Exit) -> None:
        super().__init__(ending.status)
        self.ending = ending


def _failure(exchange: Exchange, error: Exception) -> UpstreamFailure:
    if isinstance(error, httpx2.TimeoutException):
        return UpstreamFailure(kong_error(504, "The upstream server is timing out",
                                          exchange.request_id, source="error"))
    text = str(error).lower()
    if isinstance(error, httpx2.ConnectError) and (
        "name or service not known" in text or "name resolution" in text
        or "nodename nor servname" in text or "no address associated" in text
    ):
        return UpstreamFailure(kong_error(503, "name resolution failed", exchange.request_id,
                                          source="error"))
    return UpstreamFailure(kong_error(
        502, "An invalid response was received from the upstream server", exchange.request_id,
        source="error",
    ))


class Upstream:
    """One pooled HTTP client to every upstream; never adds headers or cookies of its own."""

    def __init__(self) -> None:
        self.client = httpx2.AsyncClient(
            timeout=None,
            trust_env=False,
            follow_redirects=False,
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            limits=httpx2.Limits(max_connections=None, max_keepalive_connections=64),
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    def request_headers(self, exchange: Exchange) -> list[tuple[str, str]]:
        """The client's headers as Kong forwards them (nginx proxy headers included)."""
        incoming = exchange.headers
        dropped = hop_by_hop(incoming.get_all("connection")) | {"host"}
        headers = [(k, v) for k, v in incoming.items() if k.lower() not in dropped]
        for name, value in exchange.upstream_header_edits.items():
            headers = [(k, v) for k, v in headers if k.lower() != name]
            if value is not None:
                headers.append((name, value))
        service = exchange.service
        if exchange.route.preserve_host and exchange.headers.get("host"):
            host = exchange.headers.get("host") or ""
        else:
            host = service.host if service.port == 80 else f"{service.host}:{service.port}"
        forwarded_for = incoming.get("x-forwarded-for")
        headers = [(k, v) for k, v in headers if not k.lower().startswith("x-forwarded-")
                   and k.lower() not in ("x-real-ip", "x-kong-request-id")]
        headers += [
            ("Host", host),
            ("X-Real-IP", exchange.client_ip),
            ("X-Forwarded-For", f"{forwarded_for}, {exchange.client_ip}" if forwarded_for
             else exchange.client_ip),
            ("X-Forwarded-Proto", "http"),
            ("X-Forwarded-Host", exchange.host),
            ("X-Forwarded-Port", str(exchange.port)),
            ("X-Forwarded-Path", exchange.path),
            ("X-Kong-Request-Id", exchange.request_id),
        ]
        if exchange.route.strip_path and exchange.match.postfix != exchange.path:
            prefix = exchange.path[: len(exchange.path) - len(exchange.match.postfix)]
            headers.append(("X-Forwarded-Prefix", prefix))
        return headers

    async def open(self, exchange: Exchange, address: str) -> httpx2.Response:
        """Sends the request and returns the response with its body still to be streamed."""
        service = exchange.service
        url = address + upstream_path(exchange.match, exchange.path)
        if exchange.query_string:
            url += "?" + exchange.query_string.decode("latin-1")
        headers = self.request_headers(exchange)
        timeout = httpx2.Timeout(
            connect=service.connect_timeout / 1000,
            read=service.read_timeout / 1000,
            write=service.write_timeout / 1000,
            pool=None,
        )
        body = exchange.body
        replayable = not body.present or body.buffered is not None
        attempts = service.retries + 1 if replayable else 1
        for attempt in range(attempts):
            content = None
            if body.buffered is not None:
                content = body.buffered
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
                headers.append(("Content-Length", str(len(content))))
            elif body.present:
                content = body.stream()  # type: ignore[assignment]
            request = httpx2.Request(exchange.method, url, headers=headers, content=content,
                                     extensions={"timeout": timeout.as_dict()})
            exchange.upstream_started = time.perf_counter()
            try:
                response = await self.client.send(request, stream=True)
            except httpx2.ConnectError as error:
                if attempt + 1 < attempts:
                    continue
                log.warning("upstream %s unreachable: %s", address, error)
                raise _failure(exchange, error) from error
            except httpx2.HTTPError as error:
                log.warning("upstream %s failed: %s", address, error)
                raise _failure(exchange, error) from error
            exchange.upstream_headers_at = time.perf_counter()
            return response
        raise AssertionError("unreachable")

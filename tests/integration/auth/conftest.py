"""Fixtures: the auth service over a real PostgreSQL database, with signing keys generated into a
temporary folder, and a scripted HTTP client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx2
import pytest

from tests.integration.auth.auth_process import AuthServer, write_key


@pytest.fixture(scope="session")
def auth_server(pg: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    """The service with the demo users and clients, shared by the auth tests: each test works
    with its own users or client addresses, so none can disturb another."""
    keys = tmp_path_factory.mktemp("keys")
    write_key(keys, "2026-01-01-a")
    server = AuthServer(pg.fresh_database("auth_shared"),  # type: ignore[attr-defined]
                        keys, tmp_path_factory.mktemp("logs"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def http(auth_server: AuthServer) -> AsyncIterator[httpx2.AsyncClient]:
    """A scripted user agent: no automatic redirects, so each 302 can be inspected."""
    async with httpx2.AsyncClient(base_url=auth_server.url, follow_redirects=False,
                                  timeout=10.0) as client:
        yield client

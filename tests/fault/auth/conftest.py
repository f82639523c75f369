"""The auth service on a database of its own, for drills that leave accounts behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.auth.auth_process import AuthServer, write_key


@pytest.fixture
def auth_server(pg: object, tmp_path: Path) -> Iterator[AuthServer]:
    write_key(tmp_path / "keys", "2026-01-01-a")
    server = AuthServer(pg.fresh_database(), tmp_path / "keys", tmp_path)  # type: ignore[attr-defined]
    server.start()
    yield server
    server.stop()

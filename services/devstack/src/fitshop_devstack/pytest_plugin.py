"""pytest fixtures that run real PostgreSQL, Redis, NATS JetStream and MongoDB-wire servers.

Each server starts the first time a test asks for it, on a free port, with its data under the
session's tmp folder, and stops when the session ends. Function-scoped fixtures give every test
a clean place: a new database (`pg_url`, `mongo_url`), a flushed Redis (`redis_url`), a
JetStream with no streams (`nats_url`). Fault drills stop and start the session servers
themselves (`nats_server.stop(); nats_server.start()`): same port, same data.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from fitshop_devstack.probes import free_port
from fitshop_devstack.servers import Mongo, Nats, Postgres, Redis, Server, ServerError

ServerT = TypeVar("ServerT", bound=Server)

_names = itertools.count(1)


def _start(make: Callable[[int], ServerT], attempts: int = 3) -> ServerT:
    """Start a server on a free port, trying another port if someone grabbed ours meanwhile
    (free_port() cannot reserve it). Fails with the server's log tail."""
    for attempt in range(1, attempts + 1):
        server = make(free_port())
        try:
            server.start()
            return server
        except ServerError as failure:
            server.kill()
            lost_port = re.search(r"taken|already in use", str(failure), re.IGNORECASE)
            if not lost_port or attempt == attempts:
                raise
    raise AssertionError("unreachable")


def _database_name(request: pytest.FixtureRequest) -> str:
    """`t7_test_cancelling_an_order`: unique, and readable when you inspect a database."""
    test = re.sub(r"[^a-z0-9_]+", "_", request.node.name.lower()).strip("_")
    return f"t{next(_names)}_{test}"[:63]


@pytest.fixture(scope="session")
def devstack_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's state folder: logs/, run/ and each server's data."""
    return tmp_path_factory.mktemp("devstack")


class TestPostgres(Postgres):
    """A disposable cluster (fsync off) with helpers that hand tests new databases."""

    __test__ = False  # not a test class, despite the name pytest looks for

    def fresh_database(self, name: str | None = None) -> str:
        """Create a new empty database and answer its URL."""
        return self.create_database(name or f"t{next(_names)}")


@pytest.fixture(scope="session")
def pg(devstack_state: Path) -> Iterator[TestPostgres]:
    """A session PostgreSQL; `pg.create_database(name)` / `pg.fresh_database()` answer URLs."""
    server = _start(lambda port: TestPostgres(devstack_state, port, fast=True))
    yield server
    server.destroy()  # its cluster may live outside the tmp folder (see Postgres.root)


@pytest.fixture
def pg_url(pg: TestPostgres, request: pytest.FixtureRequest) -> str:
    """A brand-new empty database for this test."""
    return pg.fresh_database(_database_name(request))


@pytest.fixture(scope="session")
def redis_server(devstack_state: Path) -> Iterator[Redis]:
    server = _start(lambda port: Redis(devstack_state, port))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: Redis) -> str:
    """Redis database 0, emptied before the test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(scope="session")
def nats_server(devstack_state: Path) -> Iterator[Nats]:
    server = _start(lambda port: Nats(devstack_state, port, monitor_port=free_port()))
    yield server
    server.stop()


@pytest.fixture
def nats_url(nats_server: Nats) -> str:
    """NATS with JetStream, every stream (and so every consumer) deleted before the test."""
    nats_server.delete_all_streams()
    return nats_server.url


@pytest.fixture(scope="session")
def mongo_server(devstack_state: Path) -> Iterator[Mongo]:
    server = _start(lambda port: Mongo(devstack_state, port))
    yield server
    server.stop()


@pytest.fixture
def mongo_url(mongo_server: Mongo, request: pytest.FixtureRequest) -> str:
    """A MongoDB URL whose default database is new for this test (mongodb://…/DB)."""
    return mongo_server.url_for(_database_name(request))

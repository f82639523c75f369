"""Fixtures for the dev edge tests: a real upstream process, signing keys, edges started per config."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.integration.edge.edge_harness import (
    Running,
    SigningKey,
    start_edge,
    start_upstream,
    write_config,
)


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("edge-logs")


@pytest.fixture(scope="session")
def upstream(logs_dir: Path) -> Iterator[Running]:
    running = start_upstream(logs_dir)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate("2026-test-key-b")


@pytest.fixture(scope="session")
def previous_key() -> SigningKey:
    """Still published, as during a rotation."""
    return SigningKey.generate("2026-test-key-a")


@pytest.fixture(scope="session")
def stranger_key() -> SigningKey:
    """Never published to the edge."""
    return SigningKey.generate("2026-test-key-unknown")


EdgeFactory = Callable[[Mapping[str, Any], Mapping[str, str]], Running]


@pytest.fixture(scope="module")
def edge_factory(logs_dir: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[EdgeFactory]:
    """Starts edges for configs; all stopped when the module is done."""
    started: list[Running] = []
    folder = tmp_path_factory.mktemp("edge-configs")

    def start(document: Mapping[str, Any], upstreams: Mapping[str, str]) -> Running:
        running = start_edge(write_config(folder, document), upstreams, logs_dir)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()

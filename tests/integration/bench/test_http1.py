"""The bench's lean HTTP/1.1 client against a real granian server: answers, keep-alive, a hang-up."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.http1 import Http1Pool
from tests.support.granian import GranianProcess, sample_service


@pytest.fixture
def served(nats_url: str, tmp_path: Path) -> Iterator[GranianProcess]:
    with sample_service(nats_url, tmp_path) as service:
        yield service


async def test_requests_reuse_kept_alive_connections_up_to_the_pool_size(
    served: GranianProcess,
) -> None:
    pool = Http1Pool("127.0.0.1", served.port, size=2)
    try:
        for _ in range(3):  # one after the other: one connection serves them all
            status, body = await pool.request("GET", "/health/live")
            assert status == 200 and json.loads(body) == {"alive": True}
        assert pool.opened == 1
        answers = await asyncio.gather(*(pool.request("GET", "/health/live") for _ in range(6)))
        assert [status for status, _ in answers] == [200] * 6
        assert pool.opened == 2  # six at once share the two connections allowed
        status, body = await pool.request("POST", "/health/live", b'{"x": 1}',
                                          [("Content-Type", "application/json")])
        assert status == 405  # a body goes out with its length; the answer still parses
    finally:
        await pool.aclose()


async def test_a_server_that_hangs_up_fails_the_request_and_frees_the_connection(
    served: GranianProcess,
) -> None:
    pool = Http1Pool("127.0.0.1", served.port, size=1)
    try:
        assert (await pool.request("GET", "/health/live"))[0] == 200
        served.stop()
        with pytest.raises(ConnectionError):
            await pool.request("GET", "/health/live")
        assert pool.opened == 0
    finally:
        await pool.aclose()

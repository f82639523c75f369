"""Schemathesis fuzzes the served orders API with a customer token: bad input is 4xx, never 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fitshop_common.postgres import create_pool
from fitshop_common.settings import PostgresSettings
from tests.integration.orders.scenario import seed_replica
from tests.integration.orders.served import PaymentMock, ServedOrders, orders_env
from tests.support.fuzzing import schemathesis_run
from tests.support.tokens import JwksServer, Signer


@pytest.fixture
def served_orders(pg: Any, nats_server: Any, payment_mock: PaymentMock, jwks: JwksServer,
                  tmp_path: Path) -> Iterator[ServedOrders]:
    served = ServedOrders(orders_env(database_url=pg.fresh_database(), nats_url=nats_server.url,
                                     payment_url=payment_mock.url, jwks_url=jwks.url),
                          tmp_path / "orders.log")
    served.start()
    yield served
    served.stop()


@pytest.mark.slow
async def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
        served_orders: ServedOrders, signer: Signer, tmp_path: Path) -> None:
    database = served_orders.env["DATABASE_URL"]
    pool = await create_pool(PostgresSettings(database_url=database, database_pool_min=1))
    await seed_replica(pool)
    token = signer.token("alice", ["customer"], exp=2_000_000_000)  # outlives the run
    run = schemathesis_run(served_orders.url, headers={"Authorization": f"Bearer {token}"},
                           max_time=25, report_dir=tmp_path / "report",
                           cursor_lists=["listOrders"])
    stuck = await pool.fetchval("SELECT count(*) FROM orders WHERE status = 'PAYMENT_PENDING'")
    await pool.close()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert counts is not None and int(counts[1]) == int(counts[2]) >= 300, run.stdout[-2000:]
    # whatever reached payment was settled: no order is left half-way
    assert stuck == 0

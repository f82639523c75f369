"""Schemathesis over the payment mock's OpenAPI: bad input never gets a 5xx when no fault is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fuzzing import assert_clean, schemathesis_run
from tests.support.granian import GranianProcess


@pytest.mark.slow
def test_fuzzing_the_provider_api_finds_no_server_error_and_no_undocumented_answer(tmp_path: Path) -> None:
    with GranianProcess("payment_gateway.entrypoints.http:create_app", {},
                        tmp_path / "payment-gateway.log") as served:
        run = schemathesis_run(served.url, report_dir=tmp_path / "report",
                               config_file=Path(__file__).with_name("schemathesis.toml"))
    assert_clean(run, served.tail(60))

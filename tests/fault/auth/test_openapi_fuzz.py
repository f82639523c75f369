"""Schemathesis over the auth service's OpenAPI, anonymous: no 5xx, and every answer as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.auth.auth_process import AuthServer
from tests.support.fuzzing import schemathesis_run


@pytest.mark.slow
def test_fuzzing_the_auth_api_finds_no_server_error_and_no_undocumented_answer(
    auth_server: AuthServer, tmp_path: Path,
) -> None:
    run = schemathesis_run(auth_server.url, report_dir=tmp_path / "report",
                           config_file=Path(__file__).with_name("schemathesis.toml"))
    log = auth_server.log_tail(60)
    assert run.returncode == 0, f"{run.stdout[-8000:]}\n{run.stderr[-2000:]}\n--- service log ---\n{log}"
    assert "Unmatched filters" not in run.stdout, run.stdout[-3000:]
    assert " 500 " not in log and "unhandled error" not in log

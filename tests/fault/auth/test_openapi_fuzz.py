"""Schemathesis over the auth service's OpenAPI, anonymous: no 5xx, and every answer as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.auth.auth_process import AuthServer
from tests.support.fuzzing import assert_clean, schemathesis_run


@pytest.mark.slow
def test_fuzzing_the_auth_api_finds_no_server_error_and_no_undocumented_answer(
    auth_server: AuthServer, tmp_path: Path,
) -> None:
    run = schemathesis_run(auth_server.url, report_dir=tmp_path / "report",
                           config_file=Path(__file__).with_name("schemathesis.toml"))
    assert_clean(run, auth_server.log_tail(60))

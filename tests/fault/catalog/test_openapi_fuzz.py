"""Schemathesis over the catalog's OpenAPI, as a seller: no 5xx, and every answer as documented."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.fuzzing import assert_clean, schemathesis_run
from tests.support.granian import GranianProcess
from tests.support.tokens import JwksServer, Signer


@pytest.mark.slow
def test_fuzzing_the_catalog_api_finds_no_server_error_and_no_undocumented_answer(
    mongo_url: str, nats_url: str, tmp_path: Path,
) -> None:
    signer = Signer()
    with JwksServer(signer).running() as jwks:
        env = {"SERVICE_NAME": "catalog", "MONGO_URL": mongo_url, "NATS_URL": nats_url,
               **jwks.env}
        token = signer.token("sam", ["seller"], exp=int(time.time()) + 3600)
        with GranianProcess("catalog.entrypoints.http:create_app", env, tmp_path / "catalog.log") as served:
            run = schemathesis_run(served.url, headers={"Authorization": f"Bearer {token}"},
                                   report_dir=tmp_path / "report")
    assert_clean(run, served.tail(60))

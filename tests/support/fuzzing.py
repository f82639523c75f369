"""Run schemathesis (the CLI, as a developer would) against an app served by granian."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

# Litestar 2.25 answers OPTIONS with an `Allow` header naming one handler's methods only, on
# every service; that is the framework's automatic OPTIONS, not our API, so it is not checked.
EXCLUDED_CHECKS = "allow_header_conformance"

SEED = 7
"""CI is a gate: the same seed every run, so a red run is the code's doing and replays exactly.
To explore further, run the schemathesis CLI by hand without one."""


# A list cursor is opaque: any base64url string fits its schema (fitshop_common.openapi
# CURSOR_PATTERN), but one the service did not hand out is refused with 422, as documented.
_OPAQUE_CURSOR = """
[[operations]]
include-operation-id = "{operation}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "422"]
"""


def schemathesis_run(base_url: str, *, headers: dict[str, str] | None = None, max_time: int = 20,
                     exclude_paths: tuple[str, ...] = (),
                     report_dir: Path | None = None,
                     config_file: Path | None = None,
                     cursor_lists: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """`config_file`: a service's own schemathesis settings; `cursor_lists`: the operation ids
    of its lists, whose forged cursors are refused on purpose."""
    config = config_file.read_text() if config_file is not None else ""
    config += "".join(_OPAQUE_CURSOR.format(operation=o) for o in cursor_lists)
    with tempfile.TemporaryDirectory(prefix="schemathesis-") as folder:
        settings = Path(folder) / "schemathesis.toml"
        settings.write_text(config)
        return _run(base_url, settings, headers=headers or {}, max_time=max_time,
                    exclude_paths=exclude_paths, report_dir=report_dir)


def _run(base_url: str, settings: Path, *, headers: dict[str, str], max_time: int,
         exclude_paths: tuple[str, ...],
         report_dir: Path | None) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(settings)]
    command += [
        "run", f"{base_url}/schema/openapi.json",
        "--max-time", str(max_time), "--checks", "all", "--exclude-checks", EXCLUDED_CHECKS,
        "--request-timeout", "10", "--seed", str(SEED),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    for path in exclude_paths:
        command += ["--exclude-path", path]
    if report_dir is not None:
        command += ["--report-dir", str(report_dir)]
    return subprocess.run(command, capture_output=True, text=True, timeout=max_time + 120,
                          check=False)


def assert_clean(run: subprocess.CompletedProcess[str], log: str) -> None:
    """No check failed, no filter of the config file is stale, and the service logged no 5xx.

    Exit 0 means no check failed; schemathesis may still warn about what it could not generate
    by chance (e.g. only 4xx for one operation), but a filter matching nothing is our bug."""
    assert run.returncode == 0, f"{run.stdout[-8000:]}\n{run.stderr[-2000:]}\n--- service log ---\n{log}"
    assert "Unmatched filters" not in run.stdout, run.stdout[-3000:]
    assert " 500 " not in log and "unhandled error" not in log, log

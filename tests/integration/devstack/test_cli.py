"""`devstack up / ps / stop / start / down` drive the backing servers from separate processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fitshop_devstack.components import SERVICES
from fitshop_devstack.probes import free_port

BACKING = ["postgres", "mongo", "redis", "nats", "smtp"]


class Devstack:
    """Runs the CLI the way `make` does: a new process each time, state found on disk."""

    def __init__(self, state: Path) -> None:
        # Non-default ports, so a local stack running on this machine is left alone.
        ports = {name: free_port() for name in [*BACKING, "nats-monitor"]}
        self.env = {
            **os.environ,
            "FITSHOP_STATE": str(state),
            **{f"FITSHOP_{name.upper().replace('-', '_')}_PORT": str(port)
               for name, port in ports.items()},
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fitshop_devstack", *args],
            env=self.env, capture_output=True, text=True, timeout=120, check=False,
        )

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def ps(self) -> dict[str, dict[str, object]]:
        status: dict[str, dict[str, object]] = json.loads(self.ok("ps"))
        return status


@pytest.fixture(scope="module")
def devstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devstack]:
    cli = Devstack(tmp_path_factory.mktemp("stack"))
    yield cli
    cli.run("wipe")


def test_up_starts_every_backing_server_and_says_where(devstack: Devstack) -> None:
    out = devstack.ok("up", "--servers-only")

    assert "ready" in out
    for name in BACKING:
        assert name in out


def test_ps_prints_one_json_object_for_every_component(devstack: Devstack) -> None:
    status = devstack.ps()

    assert list(status) == [*BACKING, *(row.name for row in SERVICES)]
    for entry in status.values():
        assert {"url", "pid", "ready"} <= entry.keys()
    for name in BACKING:
        assert status[name]["ready"] is True
        assert isinstance(status[name]["pid"], int)
    assert str(status["nats"]["url"]).startswith("nats://127.0.0.1:")
    assert status["payment-gateway"]["admin_url"] == "http://127.0.0.1:8114"


def test_up_again_changes_nothing(devstack: Devstack) -> None:
    pids = {name: entry["pid"] for name, entry in devstack.ps().items()}

    devstack.ok("up", "--servers-only")

    assert {name: entry["pid"] for name, entry in devstack.ps().items()} == pids


def test_stop_and_start_touch_only_the_named_component(devstack: Devstack) -> None:
    before = devstack.ps()

    devstack.ok("stop", "nats")
    stopped = devstack.ps()
    devstack.ok("start", "nats")
    after = devstack.ps()

    assert stopped["nats"]["pid"] is None
    assert stopped["nats"]["ready"] is False
    assert stopped["postgres"]["pid"] == before["postgres"]["pid"]
    assert after["nats"]["ready"] is True
    assert after["nats"]["url"] == before["nats"]["url"]


def test_unknown_component_is_an_error(devstack: Devstack) -> None:
    result = devstack.run("start", "kafka")

    assert result.returncode == 1
    assert "no component 'kafka'" in result.stderr


def test_down_stops_everything_and_up_brings_it_back_with_its_data(devstack: Devstack) -> None:
    devstack.ok("down")
    assert all(entry["pid"] is None for entry in devstack.ps().values())

    devstack.ok("up", "--servers-only")

    status = devstack.ps()
    assert all(status[name]["ready"] for name in BACKING)

"""The demo scripts and the Locust load: syntax, and that they use what the chart provides."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest
import yaml

from fitshop_devstack.install import debian_tool

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((REPO / "deploy").glob("*.sh"))
LOCUSTFILE = REPO / "bench" / "locustfile.py"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_demo_scripts_parse(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    if script.name != "lib.sh":
        assert script.stat().st_mode & 0o111, f"{script.name} is not executable"
        assert 'source "$(dirname "$0")/lib.sh"' in script.read_text()


def test_demo_scripts_pass_shellcheck() -> None:
    shellcheck = debian_tool("shellcheck")  # `make servers` installs it; found here, or fails
    result = subprocess.run([str(shellcheck), "-x", "-S", "warning", *map(str, SCRIPTS)],
                            capture_output=True, text=True, cwd=REPO / "deploy")
    assert result.returncode == 0, result.stdout


def test_the_three_demos_exist() -> None:
    assert {"hpa-demo.sh", "self-healing-demo.sh", "rollout-demo.sh"} <= {s.name for s in SCRIPTS}


def test_the_locustfile_is_a_customer_through_the_gateway() -> None:
    source = LOCUSTFILE.read_text()
    tree = ast.parse(source)
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert classes == ["Customer"]
    for step in ('"grant_type": "client_credentials"', "/api/v1/products", "/api/v1/orders",
                 "/api/v1/my-orders", "Idempotency-Key", "AVAILABILITY "):
        assert step in source
    assert "4111111111111111" in source


def test_the_self_healing_drill_uses_the_switch_the_services_expose() -> None:
    health = (REPO / "services" / "common" / "src" / "fitshop_common" / "health.py").read_text()
    assert '@post("/live/fail"' in health
    script = (REPO / "deploy" / "self-healing-demo.sh").read_text()
    assert "/health/live/fail" in script
    assert "LIVENESS_SWITCH" in script


def test_the_demos_target_objects_the_chart_names(tmp_path: Path) -> None:
    lib = (REPO / "deploy" / "lib.sh").read_text()
    values = yaml.safe_load((REPO / "charts" / "fitshop" / "values.yaml").read_text())
    assert f"GATEWAY_URL=${{GATEWAY_URL:-{values['gateway']['url']}}}" in lib
    assert "$PREFIX-loadgen" in lib  # the chart's Secret "<fullname>-loadgen"

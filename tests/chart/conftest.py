"""Offline chart checks: find (or build) helm, render charts/fitshop with each values profile.

Nothing here talks to a cluster: `helm template` renders, kubernetes-validate checks against
the bundled OpenAPI schemas, the tests read the rendered objects.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.chartlib import (
    CHART,
    DEMO_KEYS,
    GATEWAY_CONFIG,
    PROFILES,
    REPO,
    Objects,
    Renderer,
    profile_values,
)

HELM_VERSION = "v3.22.0"
HELM_CACHE = Path.home() / ".cache" / "fitshop" / "bin"


def ensure_helm() -> Path:
    """helm on PATH, else the project's cached build, else build it now with `go install`."""
    found = shutil.which("helm")
    if found:
        return Path(found)
    cached = HELM_CACHE / "helm"
    if cached.exists():
        return cached
    go = shutil.which("go")
    if go is None:
        pytest.fail(
            "helm is not on PATH and Go is missing to build it: "
            f"install Go, then GOBIN={HELM_CACHE} go install helm.sh/helm/v3/cmd/helm@{HELM_VERSION}"
        )
    HELM_CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [go, "install", f"helm.sh/helm/v3/cmd/helm@{HELM_VERSION}"],
        env={**os.environ, "GOBIN": str(HELM_CACHE)},
        check=True,
        timeout=900,
    )
    return cached


@pytest.fixture(scope="session")
def helm() -> Path:
    return ensure_helm()


@pytest.fixture(scope="session")
def chart_inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """What skaffold passes besides the profile: the gateway config and the signing keys."""
    args: list[str] = []
    if GATEWAY_CONFIG.exists():
        args += ["--set-file", f"gateway.config={GATEWAY_CONFIG}"]
    if any(DEMO_KEYS.glob("*.pem")):
        out = tmp_path_factory.mktemp("keys") / "signing-keys.values.yaml"
        subprocess.run(
            [sys.executable, str(REPO / "deploy" / "signing_keys_values.py"), str(DEMO_KEYS), str(out)],
            check=True, capture_output=True,
        )
        args += ["-f", str(out)]
    return args


@pytest.fixture(scope="session")
def render(helm: Path, chart_inputs: list[str]) -> Renderer:
    return Renderer(helm, chart_inputs)


@pytest.fixture(scope="session")
def chart_values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text())


@pytest.fixture(scope="session", params=list(PROFILES))
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def objects(render: Renderer, profile: str) -> Objects:
    return render(*PROFILES[profile])


@pytest.fixture(scope="session")
def values(profile: str) -> dict[str, Any]:
    return profile_values(profile)

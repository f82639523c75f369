"""Replay the image's install of the workspace packages, without a container engine.

services/Dockerfile installs the pinned third-party set, then `services/common` and
`services/<SERVICE>` as regular (non-editable) packages with `--no-deps --no-sources`, and
serves `fitshop_image:create_app`, a one-line module it generates. This test does the same
into a scratch virtualenv for every deployed service at once (the third-party packages are
borrowed from the project's .venv instead of being downloaded again) and checks that each
factory imports from the installed copy, and that SQL migrations ship inside the packages
(the migration hook Job runs `python -m fitshop_common.migrate <package>` in the image)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "services" / "Dockerfile").read_text()


def deployable() -> list[str]:
    values = yaml.safe_load((REPO / "charts" / "fitshop" / "values.yaml").read_text())
    return [name for name, svc in values["services"].items() if svc["enabled"]]


def _dockerfile_install_flags() -> list[str]:
    """The flags of the Dockerfile's workspace-package install, so the test follows the file."""
    match = re.search(r"uv pip install --python /opt/venv/bin/python (--no-deps[^\\\n]*)", DOCKERFILE)
    assert match, "the workspace install line of services/Dockerfile changed shape"
    return match[1].split()


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The bootstrap reuses a uv on PATH or installs one into the per-user cache.
    cached = Path(os.environ.get("FITSHOP_CACHE", Path.home() / ".cache" / "fitshop")) / "uv/bin/uv"
    uv = shutil.which("uv") or (str(cached) if cached.exists() else None)
    assert uv is not None, "uv is neither on PATH nor in the fitshop cache (make bootstrap)"
    venv = tmp_path_factory.mktemp("image") / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    constraints = venv.parent / "build-constraints.txt"
    version = re.search(r"ARG HATCHLING_VERSION=(\S+)", DOCKERFILE)
    constraints.write_text(f"hatchling=={version[1]}\n" if version else "")
    sources = ["./services/common", *(f"./services/{s}" for s in deployable())]
    result = subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
         *_dockerfile_install_flags(), "--build-constraints", str(constraints), *sources],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    assert result.returncode == 0, result.stderr
    return venv


def run_in_image(venv: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run with the scratch venv's python: workspace packages from there, third-party ones
    from the project's site-packages via PYTHONPATH (its .pth editable hooks stay inactive)."""
    borrowed = sysconfig.get_paths()["purelib"]
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd="/", capture_output=True,
                          text=True, env={"PATH": os.environ["PATH"], "PYTHONPATH": borrowed,
                                          "PYTHONDONTWRITEBYTECODE": "1"}, timeout=120)


def test_the_workspace_install_ignores_uv_sources() -> None:
    assert "--no-sources" in _dockerfile_install_flags(), (
        "without --no-sources uv refuses `fitshop-common = { workspace = true }` outside the workspace")


@pytest.mark.parametrize("service", deployable())
def test_each_service_factory_imports_from_the_installed_package(image_venv: Path, service: str) -> None:
    package = service.replace("-", "_")
    # what the Dockerfile generates as fitshop_image.py, executed in place
    code = (
        f"from {package}.entrypoints.http import create_app\n"
        f"import {package}, fitshop_common\n"
        "import sys\n"
        f"assert '/services/' not in {package}.__file__, {package}.__file__\n"
        "assert '/services/' not in fitshop_common.__file__, fitshop_common.__file__\n"
        "assert callable(create_app)\n"
        f"print({package}.__file__)\n"
    )
    result = run_in_image(image_venv, code)
    assert result.returncode == 0, result.stderr[-2000:]
    assert str(image_venv) in result.stdout


def test_migrations_ship_inside_the_packages(image_venv: Path) -> None:
    values = yaml.safe_load((REPO / "charts" / "fitshop" / "values.yaml").read_text())
    postgres_services = [n for n, s in values["services"].items()
                         if s["enabled"] and "postgres" in s.get("uses", {})]
    code = (
        "from fitshop_common.migrate import package_migrations, load\n"
        f"for package in ['fitshop_common', *{[s.replace('-', '_') for s in postgres_services]!r}]:\n"
        "    found = load(package, package_migrations(package))\n"
        "    assert found, package\n"
        "    print(package, len(found))\n"
    )
    result = run_in_image(image_venv, code)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(result.stdout.splitlines()) == 1 + len(postgres_services)

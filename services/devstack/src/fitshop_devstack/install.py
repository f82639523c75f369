"""Finds the server binaries the local stack runs, installing or building the missing ones."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

NATS_VERSION = "v2.15.2"
FERRETDB_VERSION = "v1.24.2"
# Printed when Go is missing; the newest Go we checked both builds with.
GO_VERSION = "1.26.8"

MongoKind = Literal["mongod", "ferretdb"]


class InstallError(RuntimeError):
    """A binary is missing and could not be installed here; the message says what to run."""


def say(message: str) -> None:
    """Print one progress line on stderr, so stdout stays clean for `devstack ps` JSON."""
    print(message, file=sys.stderr, flush=True)


def cache_dir() -> Path:
    """Where built binaries live: `FITSHOP_CACHE`, else ~/.cache/fitshop."""
    configured = os.environ.get("FITSHOP_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "fitshop"


def is_root() -> bool:
    return os.geteuid() == 0


@functools.cache
def postgres_bin_dir() -> Path:
    """The newest PostgreSQL server bin folder (Debian layout first, then PATH)."""
    found = _find_postgres_bin_dir()
    if found is None:
        _apt_install("postgresql")
        found = _find_postgres_bin_dir()
    if found is None:
        raise InstallError("PostgreSQL is still missing after installing it (no initdb found)")
    return found


def _find_postgres_bin_dir() -> Path | None:
    def major(path: Path) -> float:
        # Debian names the folder after the major version ("15", or "9.6" long ago).
        try:
            return float(path.parent.name)
        except ValueError:
            return -1.0

    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=major, reverse=True)
    candidates = [*debian]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "postgres").exists():
            return folder
    return None


@functools.cache
def redis_server() -> Path:
    """redis-server from PATH or /usr/bin, installed with apt-get when we can."""
    found = _which("redis-server", Path("/usr/bin/redis-server"))
    if found is None:
        _apt_install("redis-server")
        found = _which("redis-server", Path("/usr/bin/redis-server"))
    if found is None:
        raise InstallError("redis-server not found after installing it")
    return found


DEBIAN_TOOLS = {"wrk": "wrk", "shellcheck": "shellcheck"}
"""Command → Debian package of the tools `make bench` (wrk) and `make test` (shellcheck) run."""


@functools.cache
def debian_tool(command: str) -> Path:
    """A command from PATH, installed from its Debian package (DEBIAN_TOOLS) when we can."""
    found = _which(command)
    if found is None:
        _apt_install(DEBIAN_TOOLS[command])
        found = _which(command)
    if found is None:
        raise InstallError(f"{command} not found after installing {DEBIAN_TOOLS[command]}")
    return found


@functools.cache
def nats_server() -> Path:
    """nats-server from PATH, else the cache, else built there with `go install`."""
    found = _which("nats-server") or _cached("nats-server", quiet=True)
    if found is not None:
        return found
    with _install_lock():
        found = _cached("nats-server")  # another process may have built it while we waited
        if found is None:
            found = _build_nats()
    return found


@functools.cache
def mongo_server() -> tuple[MongoKind, Path]:
    """`mongod` from PATH if present, else FerretDB v1 (SQLite) from the cache, else built."""
    mongod = _which("mongod")
    if mongod is not None:
        return "mongod", mongod
    found = _cached("ferretdb", quiet=True)
    if found is None:
        with _install_lock():
            found = _cached("ferretdb")
            if found is None:
                found = _build_ferretdb()
    return "ferretdb", found


def install_all() -> dict[str, tuple[Path, float]]:
    """Locate or install every backing server binary; answers name → (path, seconds taken)."""
    results: dict[str, tuple[Path, float]] = {}
    steps: list[tuple[str, Callable[[], Path]]] = [
        ("postgres", postgres_bin_dir),
        ("redis-server", redis_server),
        ("nats-server", nats_server),
        ("mongo", lambda: mongo_server()[1]),
        *((tool, functools.partial(debian_tool, tool)) for tool in DEBIAN_TOOLS),
    ]
    for name, step in steps:
        started = time.perf_counter()
        path = step()
        results[name] = (path, time.perf_counter() - started)
    return results


def _which(name: str, *extra: Path) -> Path | None:
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    for candidate in extra:
        if candidate.exists():
            return candidate
    return None


def _cached(name: str, *, quiet: bool = False) -> Path | None:
    """A cached binary, but only if it runs: a bad build (e.g. FerretDB's version panic) is
    treated as missing so it gets rebuilt instead of failing at every start."""
    path = cache_dir() / "bin" / name
    if not path.exists():
        return None
    try:
        check = subprocess.run(
            [str(path), "--version"], capture_output=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        check = None
    if check is None or check.returncode != 0:
        if not quiet:
                say(f"cached {path} does not run (`--version` failed); rebuilding it")
        return None
    return path


@contextmanager
def _install_lock() -> Iterator[None]:
    """One build at a time per cache, so `make up` and a test run never build twice at once."""
    folder = cache_dir() / "bin"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def go_tool() -> Path:
    """The Go toolchain, or an InstallError naming the exact command that installs it."""
    found = _which("go", Path("/usr/local/go/bin/go"))
    if found is not None:
        return found
    machine = platform.machine()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, "amd64")
    tarball = f"https://go.dev/dl/go{GO_VERSION}.linux-{arch}.tar.gz"
    raise InstallError(
        "Go is needed to build nats-server / FerretDB (first run only) and is not installed. "
        f"Run: curl -fsSL {tarball} | sudo tar -C /usr/local -xz && "
        'export PATH="$PATH:/usr/local/go/bin"'
    )


def _build_nats() -> Path:
    go = go_tool()
    say(f"building nats-server {NATS_VERSION} with go install (first run only)…")
    with tempfile.TemporaryDirectory(prefix="fitshop-build-") as scratch:
        _go(go, ["install", f"github.com/nats-io/nats-server/v2@{NATS_VERSION}"],
            env={"GOBIN": scratch})
        return _publish(Path(scratch) / "nats-server", "nats-server")


def _build_ferretdb() -> Path:
    """Build FerretDB from a copy of its module source.

    A plain `go install …/cmd/ferretdb@v1.24.2` builds, but the binary panics at start:
    build/version/version.txt is generated by FerretDB's release tooling and absent from the
    module zip, and the module cache is read-only (and `go build -overlay` refuses files there).
    So we copy the module, write that one file, and `go build` the copy.
    """
    go = go_tool()
    say(f"building ferretdb {FERRETDB_VERSION} with go build (first run only, a few minutes)…")
    module = f"github.com/FerretDB/FerretDB@{FERRETDB_VERSION}"
    listing = _go(go, ["mod", "download", "-json", module])
    source = Path(json.loads(listing)["Dir"])
    with tempfile.TemporaryDirectory(prefix="fitshop-build-") as scratch:
        copy = Path(scratch) / "src"
        shutil.copytree(source, copy)
        for folder, _dirs, files in os.walk(copy):
            os.chmod(folder, 0o755)
            for file in files:
                os.chmod(Path(folder) / file, 0o644)
        (copy / "build" / "version" / "version.txt").write_text(FERRETDB_VERSION + "\n")
        binary = Path(scratch) / "ferretdb"
        _go(go, ["build", "-buildvcs=false", "-trimpath", "-o", str(binary), "./cmd/ferretdb"],
            cwd=copy)
        return _publish(binary, "ferretdb")


def _go(go: Path, args: list[str], *, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> str:
    run = subprocess.run(
        [str(go), *args], capture_output=True, text=True, check=False, cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    if run.returncode != 0:
        raise InstallError(f"`go {' '.join(args)}` failed:\n{run.stderr[-3000:]}")
    return run.stdout


def _publish(built: Path, name: str) -> Path:
    """Move a fresh binary into the cache atomically, so a running user never sees half a file."""
    target = cache_dir() / "bin" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{name}.new")
    shutil.copyfile(built, staging)
    staging.chmod(staging.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(staging, target)
    say(f"built {target}")
    return target


def _apt_install(package: str) -> None:
    """apt-get install as root (updating the lists once if they are missing), else explain."""
    command = f"apt-get install -y {package}"
    if not is_root() or shutil.which("apt-get") is None:
        raise InstallError(f"{package} is not installed. Run: sudo {command}")
    say(f"installing {package} with apt-get (first run only)…")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    first = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    if first.returncode == 0:
        return
    # A fresh container has no package lists; "Unable to locate package" is the symptom.
    if re.search(r"Unable to locate|has no installation candidate", first.stderr):
        subprocess.run(["apt-get", "update"], capture_output=True, env=env, check=False)
        second = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
        if second.returncode == 0:
            return
        first = second
    raise InstallError(f"`{command}` failed:\n{first.stderr[-2000:]}")

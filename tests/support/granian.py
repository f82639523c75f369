"""Serve one of our app factories with granian in a child process, as the local stack does."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx2

from fitshop_devstack.probes import free_port

REPO = Path(__file__).resolve().parents[2]


class GranianProcess:
    """`with GranianProcess("pkg.entrypoints.http:create_app", env) as served:` — ready on exit of
    `__enter__`, stopped with SIGTERM (then killed) on leaving; the log is kept for failures."""

    def __init__(self, factory: str, env: Mapping[str, str], log: Path,
                 port: int | None = None, *, workers: int = 1,
                 extra_args: Sequence[str] = ()) -> None:
        self.factory = factory
        self.workers = workers
        self.extra_args = list(extra_args)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "LOG_LEVEL": "WARNING", **env}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--factory",
                 "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
                 *self.extra_args, self.factory],
                cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the workers go down with it
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.factory} exited early:\n{self.tail()}")
            try:
                if httpx2.get(self.url + "/health/ready", timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.factory} never became ready:\n{self.tail()}")

    def stop(self) -> int | None:
        """SIGTERM the whole group (granian and its workers), SIGKILL what is left after 15 s;
        granian's exit code (0 after a clean drain), or None if it had to be killed."""
        if self.proc is None:
            return None
        for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                code = self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                continue
            return code if sig is signal.SIGTERM else None
        return None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def __enter__(self) -> GranianProcess:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def sample_service(nats_url: str, state: Path) -> GranianProcess:
    """tests.support.sample_service (a slow route, a NATS check, a drain marker) under granian."""
    env = {"NATS_URL": nats_url, "DRAIN_MARKER": str(state / "drained")}
    return GranianProcess("tests.support.sample_service:create_app", env, state / "sample.log")

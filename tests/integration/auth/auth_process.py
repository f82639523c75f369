"""The auth service as it runs in production: granian serving create_app() on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx2
from joserfc.jwk import RSAKey

from fitshop_devstack.probes import free_port

HOST = "127.0.0.1"
LOADGEN_SECRET = "loadgen-test-secret-0123456789"
WEB_CALLBACK = "http://127.0.0.1:8000/callback"
CLI_CALLBACK = "http://127.0.0.1:8976/callback"


def write_key(folder: Path, kid: str) -> RSAKey:
    """A fresh RSA key as `<kid>.pem`, the layout `python -m edge.keys rotate` writes."""
    key = RSAKey.generate_key(2048, parameters={"kid": kid})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{kid}.pem").write_bytes(key.as_pem(private=True))
    return key


class AuthServer:
    """One granian process; `restart()` keeps port, database and environment."""

    def __init__(self, database_url: str, keys_dir: Path, log_dir: Path,
                 env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.issuer = f"{self.url}/auth"
        self.keys_dir = keys_dir
        self.log = log_dir / f"auth-{self.port}.log"
        self.env = {
            **os.environ,
            "SERVICE_NAME": "auth",
            "DATABASE_URL": database_url,
            "DATABASE_POOL_MIN": "1",
            "DATABASE_POOL_MAX": "8",
            "JWT_ISSUER": self.issuer,
            "JWT_AUDIENCE": "fitshop",
            "AUTH_KEYS_DIR": str(keys_dir),
            "AUTH_SEED_DEMO": "true",
            "AUTH_LOADGEN_SECRET": LOADGEN_SECRET,
            "AUTH_WEB_REDIRECT_URIS": WEB_CALLBACK,
            "SHUTDOWN_GRACE_SECONDS": "2",
            # Cheap hashes keep the suite fast on a shared machine; production parameters
            # are asserted separately (test_passwords.py).
            "AUTH_ARGON2_TIME_COST": "1",
            "AUTH_ARGON2_MEMORY_KIB": "8192",
            "AUTH_ARGON2_PARALLELISM": "1",
            **(env or {}),
        }
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        granian = Path(sys.executable).parent / "granian"
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(
                [str(granian), "--interface", "asgi", "--factory", "--host", HOST,
                 "--port", str(self.port), "--workers", "1",
                 "auth.entrypoints.http:create_app"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"auth exited {self._process.returncode}:\n{self.log_tail()}")
            try:
                if httpx2.get(f"{self.url}/health/ready", timeout=1.0).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"auth not ready after {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


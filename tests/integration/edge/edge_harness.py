"""Runs the dev edge and a real upstream as processes, and mints the tokens the edge tests send."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import yaml
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

REPO = Path(__file__).resolve().parents[3]
GRANIAN = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
           "--workers", "1", "--no-access-log"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    """A server process started by a test, with its log."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    status_url: str | None = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _wait_ready(running: Running, probe: str, timeout: float = 30.0) -> Running:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError(f"process exited with {running.process.returncode}:\n{running.log()}")
        try:
            if httpx2.get(probe, timeout=1.0).status_code == 200:
                return running
        except httpx2.HTTPError:
            pass
        time.sleep(0.1)
    running.stop()
    raise RuntimeError(f"not ready after {timeout}s:\n{running.log()}")


def start_upstream(log_dir: Path) -> Running:
    """tests/integration/edge/upstream_app.py served by granian on a free port."""
    port = free_port()
    log_path = log_dir / f"upstream-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*GRANIAN, "--port", str(port), "tests.integration.edge.upstream_app:app"],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )
    running = Running(process, f"http://127.0.0.1:{port}", log_path)
    return _wait_ready(running, f"{running.url}/__seen")


def launch_edge(config: Path, upstreams: Mapping[str, str], log_dir: Path,
                extra_env: Mapping[str, str] | None = None) -> Running:
    """Starts `granian --factory edge.app:create_app` without waiting for it."""
    port, status_port = free_port(), free_port()
    env = {
        **os.environ,
        "EDGE_CONFIG": str(config),
        "EDGE_UPSTREAMS": ",".join(f"{host}={url}" for host, url in upstreams.items()),
        "EDGE_STATUS_LISTEN": f"127.0.0.1:{status_port}",
        **(extra_env or {}),
    }
    log_path = log_dir / f"edge-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*GRANIAN, "--factory", "--port", str(port), "edge.app:create_app"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    return Running(process, f"http://127.0.0.1:{port}", log_path,
                   f"http://127.0.0.1:{status_port}")


def start_edge(config: Path, upstreams: Mapping[str, str], log_dir: Path) -> Running:
    running = launch_edge(config, upstreams, log_dir)
    return _wait_ready(running, f"{running.status_url}/status/ready")


def write_config(folder: Path, document: Mapping[str, Any]) -> Path:
    path = folder / f"kong-{uuid.uuid4().hex[:8]}.yml"
    path.write_text(yaml.safe_dump(dict(document), sort_keys=False))
    return path


# --- tokens -----------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: Mapping[str, Any]) -> str:
    return b64url(json.dumps(dict(value), separators=(",", ":")).encode())


Signature = Callable[[bytes], bytes]


def rs256(key: rsa.RSAPrivateKey) -> Signature:
    return lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def hs256(secret: bytes) -> Signature:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def mint(header: Mapping[str, Any], claims: Mapping[str, Any], sign: Signature | None) -> str:
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = sign(signing_input.encode()) if sign else b""
    return f"{signing_input}.{b64url(signature)}"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls, kid: str) -> SigningKey:
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return cls(path.stem, key)

    def public_pem(self) -> str:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def jwt_secret(self) -> dict[str, str]:
        return {"key": self.kid, "algorithm": "RS256", "rsa_public_key": self.public_pem(),
                "secret": "unused-for-rs256"}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": "http://127.0.0.1:8000/auth", "sub": "alice-id", "aud": "fitshop",
                "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex, "roles": ["customer"],
                "preferred_username": "alice", **overrides}

    def header(self, **overrides: Any) -> dict[str, Any]:
        return {"alg": "RS256", "typ": "JWT", "kid": self.kid, **overrides}

    def token(self, **claims: Any) -> str:
        return mint(self.header(), self.claims(**claims), rs256(self.private_key))

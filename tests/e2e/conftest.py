"""The whole local stack (`devstack up`) on free ports in a temp folder, once per test session."""

from __future__ import annotations

import json
import mailbox
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import httpx2
import pytest

from fitshop_devstack.probes import free_port
from tests.e2e.client import Shopper

# Every listener of the stack, moved off the fixed local ports so a running `make up` is untouched.
PORT_NAMES = [
    "postgres",
    "mongo",
    "redis",
    "nats",
    "nats-monitor",
    "smtp",
    "auth",
    "catalog",
    "orders",
    "orders-grpc",
    "payment-gateway",
    "payment-gateway-admin",
    "delivery",
    "order-view",
    "notification",
    "web",
    "edge",
    "edge-status",
]


@dataclass
class Shop:
    env: dict[str, str]
    state: Path
    gateway: str
    components: dict[str, Any]

    def devstack(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "fitshop_devstack", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout

    def stop(self, name: str) -> None:
        self.devstack("stop", name)

    def start(self, name: str) -> None:
        self.devstack("start", name)

    @property
    def payment_admin(self) -> str:
        return str(self.components["payment-gateway"]["admin_url"])

    def mails(self) -> list[mailbox.MaildirMessage]:
        box = mailbox.Maildir(self.state / "mail", create=False)
        return list(box)

    def mails_about(self, order_id: str) -> list[mailbox.MaildirMessage]:
        """Messages the SMTP sink received whose subject names the order."""

        def subject(message: mailbox.MaildirMessage) -> str:
            return str(make_header(decode_header(message["Subject"] or "")))

        return [m for m in self.mails() if order_id[:8] in subject(m)]


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    state = tmp_path_factory.mktemp("stack")
    env = {**os.environ, "FITSHOP_STATE": str(state), "LOG_LEVEL": "WARNING"}
    for name in PORT_NAMES:
        env[f"FITSHOP_{name.upper().replace('-', '_')}_PORT"] = str(free_port())
    up = subprocess.run(
        [sys.executable, "-m", "fitshop_devstack", "up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    ps = subprocess.run(
        [sys.executable, "-m", "fitshop_devstack", "ps"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    try:
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        components = json.loads(ps.stdout)
        yield Shop(env=env, state=state, gateway=components["edge"]["url"], components=components)
    finally:
        subprocess.run(
            [sys.executable, "-m", "fitshop_devstack", "wipe"],
            env=env,
            capture_output=True,
            timeout=240,
        )


@pytest.fixture(scope="session")
def alice(shop: Shop) -> Iterator[Shopper]:
    person = Shopper(shop.gateway, "alice", "alice-pass")
    yield person
    person.close()


@pytest.fixture(scope="session")
def bob(shop: Shop) -> Iterator[Shopper]:
    person = Shopper(shop.gateway, "bob", "bob-pass")
    yield person
    person.close()


@pytest.fixture(scope="session")
def seller(shop: Shop) -> Iterator[Shopper]:
    person = Shopper(shop.gateway, "seller", "seller-pass")
    yield person
    person.close()


@pytest.fixture
def anonymous(shop: Shop) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=shop.gateway, timeout=15) as client:
        yield client


def eventually(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll until `check` returns a truthy value (eventual consistency), then return it."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s; last value: {last!r}")

"""Running the notification service in-process against real Redis, NATS and an SMTP server."""

from __future__ import annotations

import email
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import httpx2
from aiosmtpd.controller import Controller
from litestar import Litestar

from fitshop_common.settings import NatsSettings, RedisSettings
from notification.entrypoints.http import create_app
from notification.settings import MailSettings
from tests.integration.delivery.harness import serving, verifier
from tests.support.tokens import JwksServer


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a fixed port that keeps what arrives; can go down and
    come back on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)


@dataclass
class Running:
    app: Litestar
    http: httpx2.AsyncClient


def fast_mail(port: int, **overrides: Any) -> MailSettings:
    """Short timeouts and retry intervals so drills finish in seconds."""
    values: dict[str, Any] = {"smtp_host": "127.0.0.1", "smtp_port": port,
                              "smtp_timeout_seconds": 2.0, "email_tries_per_attempt": 2,
                              "email_max_attempts": 5, "email_retry_seconds": 0.3}
    values.update(overrides)
    return MailSettings(**values)


@asynccontextmanager
async def running_notification(redis_url: str, nats_url: str, jwks: JwksServer,
                               mail: MailSettings) -> AsyncIterator[Running]:
    """One replica: both consumers and the e-mail dispatcher run exactly as under granian."""
    app = create_app(redis=RedisSettings(redis_url=redis_url),
                     nats=NatsSettings(nats_url=nats_url), mail=mail,
                     token_verifier=verifier(jwks))
    async with serving(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport,
                                      base_url="http://notification") as http:
            yield Running(app, http)

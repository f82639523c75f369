"""Running the delivery service in-process against real servers, and reading what it published."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx2
import nats.js.errors
from litestar import Litestar
from nats.js import JetStreamContext

from delivery.entrypoints.http import create_app
from fitshop_common.events import Envelope, assert_conforms, decode_envelope
from fitshop_common.security import TokenVerifier
from fitshop_common.settings import JwtSettings, NatsSettings, PostgresSettings
from tests.support.tokens import AUDIENCE, ISSUER, JwksServer, Signer


def verifier(jwks: JwksServer) -> TokenVerifier:
    return TokenVerifier(JwtSettings(jwks_url=jwks.url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE))


@dataclass
class Running:
    app: Litestar
    http: httpx2.AsyncClient


@asynccontextmanager
async def running_delivery(pg_url: str, nats_url: str, jwks: JwksServer) -> AsyncIterator[Running]:
    """One replica: migrations, relay and consumer run exactly as under granian."""
    app = create_app(postgres=PostgresSettings(database_url=pg_url, database_pool_min=1),
                     nats=NatsSettings(nats_url=nats_url), token_verifier=verifier(jwks))
    async with serving(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://delivery") as http:
            yield Running(app, http)


@asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[None]:
    """Run the app's lifespan in a task of its own: it must start and end in one task, while
    pytest sets fixtures up and tears them down in different ones."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        try:
            async with app.lifespan():
                started.set()
                await stop.wait()
        finally:
            started.set()

    task = asyncio.create_task(run())
    await started.wait()
    if task.done():
        task.result()  # startup failed: raise its error here
    try:
        yield
    finally:
        stop.set()
        await task


def seller(signer: Signer) -> dict[str, str]:
    return {"Authorization": f"Bearer {signer.token('seller-1', ['seller'])}"}


def customer(signer: Signer) -> dict[str, str]:
    return {"Authorization": f"Bearer {signer.token('alice', ['customer'])}"}


async def publish(js: JetStreamContext, *events: Envelope, msg_id: str | None = None) -> None:
    """As the producer's outbox relay does (the consumer side of the contract checked first)."""
    for event in events:
        assert_conforms(event)
        await js.publish(event.subject(), event.encode(),
                         headers={"Nats-Msg-Id": msg_id or event.id})


async def published(js: JetStreamContext, stream: str = "DELIVERY") -> list[Envelope]:
    """Every event in `stream`, in order (read by sequence, so reading consumes nothing)."""
    try:
        info = await js.stream_info(stream)
    except nats.js.errors.NotFoundError:
        return []
    events = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(stream, seq)
        assert msg.data is not None
        events.append(decode_envelope(msg.data))
    return events

"""The customer's notification inbox API (Litestar) and the `create_app()` factory granian serves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Litestar, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from redis.asyncio import Redis

from fitshop_common.app import create_service_app
from fitshop_common.errors import FieldError, ValidationFailed
from fitshop_common.messaging import nats_check
from fitshop_common.openapi import CURSOR_PATTERN, ProblemResponses
from fitshop_common.security import Principal, TokenVerifier, require_role
from fitshop_common.settings import (
    NatsSettings,
    RedisSettings,
    ServiceSettings,
    jwt_settings,
)
from notification.application.ports import EmailStatus, InboxItem, InvalidCursor
from notification.application.service import NotificationService
from notification.bootstrap import bootstrap
from notification.domain.notification import Channel, NotificationKind
from notification.settings import MailSettings


class NotificationOut(msgspec.Struct):
    id: UUID
    order_id: UUID
    kind: NotificationKind
    title: str
    body: str
    channel: Channel
    created_at: datetime
    email_status: EmailStatus
    """Where the e-mail copy is: NONE (no address), PENDING, RETRYING, SENT or FAILED."""

    @classmethod
    def of(cls, item: InboxItem) -> NotificationOut:
        n = item.notification
        return cls(id=n.id, order_id=n.order_id, kind=n.kind, title=n.title, body=n.body,
                   channel=n.channel, created_at=n.created_at, email_status=item.email_status)


class NotificationPage(msgspec.Struct):
    items: list[NotificationOut]
    next_cursor: str | None


PROBLEMS = ProblemResponses({
    403: "The token lacks the customer role.",
})


class NotificationController(Controller):
    """The logged-in customer's notifications."""

    path = "/api/v1/notifications"
    guards = [require_role("customer")]
    tags = ["notifications"]
    security = [{"bearer": []}]

    @get("/", operation_id="listNotifications", responses=PROBLEMS(401, 403, 422))
    async def list_notifications(
        self,
        notifications: NamedDependency[NotificationService],
        principal: NamedDependency[Principal],
        limit: Annotated[int, QueryParameter(
            ge=1, le=200, description="Page size (max 200).")] = 50,
        cursor: Annotated[str | None, QueryParameter(
            pattern=CURSOR_PATTERN, description="`next_cursor` of the previous page.")] = None,
    ) -> NotificationPage:
        """The caller's own notifications, newest first."""
        try:
            page = await notifications.inbox(principal.subject, limit, cursor)
        except InvalidCursor as exc:
            raise ValidationFailed(str(exc), errors=[FieldError("cursor", str(exc))]) from exc
        return NotificationPage([NotificationOut.of(i) for i in page.items], page.next_cursor)


def _provide_service(state: State) -> NotificationService:
    service: NotificationService = state.runtime.service
    return service


def _redis_check(redis: Redis) -> Callable[[], Awaitable[object]]:
    async def check() -> object:
        return await redis.ping()

    return check


def create_app(*, redis: RedisSettings | None = None, nats: NatsSettings | None = None,
               mail: MailSettings | None = None,
               token_verifier: TokenVerifier | None = None) -> Litestar:
    """granian calls it bare (settings from the environment); tests pass their servers."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with bootstrap(redis, nats, mail) as runtime:
            app.state.runtime = runtime
            # SMTP is deliberately not a readiness check: while it is down the in-app inbox
            # keeps working and e-mails wait in their queue.
            app.state.health.add_check("redis", _redis_check(runtime.redis))
            app.state.health.add_check("nats", nats_check(runtime.nc))
            for consumer in runtime.consumers:
                app.state.workers.spawn(consumer.durable, consumer.run)
            app.state.workers.spawn("email-dispatcher", runtime.dispatcher.run)
            yield

    return create_service_app(
        settings=ServiceSettings(service_name="notification"),
        route_handlers=[NotificationController],
        lifespan=lifespan,
        jwt=None if token_verifier else jwt_settings(),
        token_verifier=token_verifier,
        description="Customer notifications: purchase receipts, cancellations, delivery updates.",
        dependencies={"notifications": Provide(_provide_service, sync_to_thread=False)},
    )

"""HTTP inbound adapter: the "my orders" REST + SSE endpoints and the app factory (`create_app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Litestar, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, Parameter
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from fitshop_common.app import create_service_app
from fitshop_common.errors import FieldError, NotFound, ValidationFailed
from fitshop_common.messaging import nats_check
from fitshop_common.openapi import CURSOR_PATTERN, ProblemResponses
from fitshop_common.security import Principal, TokenVerifier, require_role
from fitshop_common.settings import (
    JwtSettings,
    NatsSettings,
    RedisSettings,
    jwt_settings,
    nats_settings,
    redis_settings,
)
from order_view.application.my_orders import MyOrders, Page
from order_view.application.ports import InvalidCursor
from order_view.bootstrap import bootstrap
from order_view.domain.view import OrderStatusView
from order_view.entrypoints.stopping import StopNotice
from order_view.settings import OrderViewSettings, order_view_service_settings, order_view_settings

SSE_RETRY_MS = 3000
"""How soon a disconnected EventSource should reconnect."""


PROBLEMS = ProblemResponses({
    403: "The token lacks the customer role.",
    404: "No such order among yours (someone else's answers the same).",
})


class MyOrdersController(Controller):
    """The logged-in customer's orders as the CQRS view sees them."""

    path = "/api/v1/my-orders"
    guards = [require_role("customer")]
    tags = ["my-orders"]
    security = [{"bearer": []}]

    @get("/", operation_id="listMyOrders", responses=PROBLEMS(401, 403, 422))
    async def list_my_orders(
        self,
        principal: NamedDependency[Principal],
        my_orders: NamedDependency[MyOrders],
        limit: Annotated[int, Parameter(ge=1, le=200, description="Items per page (at most 200).")] = 50,
        cursor: Annotated[str | None, Parameter(
            pattern=CURSOR_PATTERN, description="`next_cursor` of the previous page.")] = None,
    ) -> Page:
        """The customer's orders with order, payment and delivery status, newest first."""
        try:
            return await my_orders.page(principal.subject, limit, cursor)
        except InvalidCursor as exc:
            raise ValidationFailed("The request did not pass validation.",
                                   errors=[FieldError(field="cursor", message=str(exc))]) from exc

    @get("/stream", operation_id="streamMyOrders", responses=PROBLEMS(401, 403))
    async def stream_my_orders(
        self,
        principal: NamedDependency[Principal],
        my_orders: NamedDependency[MyOrders],
        view_settings: NamedDependency[OrderViewSettings],
        stop_notice: NamedDependency[StopNotice],
    ) -> ServerSentEvent:
        """Server-Sent Events: an `order` event with the OrderStatusView on every change."""
        updates = my_orders.watch(principal.subject, view_settings.sse_heartbeat_seconds,
                                  stopping=stop_notice)
        return ServerSentEvent(_events(updates))

    @get("/{order_id:uuid}", operation_id="getMyOrder", responses=PROBLEMS(401, 403, 404))
    async def get_my_order(
        self,
        order_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        my_orders: NamedDependency[MyOrders],
    ) -> OrderStatusView:
        """One of the customer's orders; someone else's answers 404 like a missing one."""
        view = await my_orders.one(principal.subject, str(order_id))
        if view is None:
            raise NotFound(f"You have no order {order_id}.")
        return view


async def _events(
    updates: AsyncIterator[OrderStatusView | None],
) -> AsyncIterator[ServerSentEventMessage]:
    first = True
    async for view in updates:
        if view is None:
            # The first comment also tells the client it is subscribed and will miss nothing.
            yield ServerSentEventMessage(data=None, comment="subscribed" if first else "heartbeat",
                                         retry=SSE_RETRY_MS if first else None)
        else:
            yield ServerSentEventMessage(data=msgspec.json.encode(view).decode(), event="order")
        first = False


def create_app(
    *,
    redis: RedisSettings | None = None,
    nats: NatsSettings | None = None,
    settings: OrderViewSettings | None = None,
    jwt: JwtSettings | None = None,
    token_verifier: TokenVerifier | None = None,
    consume: bool = True,
) -> Litestar:
    """The order-view app (granian --factory); tests pass settings, a token verifier, or consume=False."""
    view_settings = settings or order_view_settings()
    stop_notice = StopNotice()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with bootstrap(redis=redis or redis_settings(), nats=nats or nats_settings(),
                             settings=view_settings) as runtime:
            app.state.runtime = runtime
            # Not ready from the first moment of SIGTERM on, and event streams start to end.
            stop_notice.install(on_stop=lambda: setattr(app.state.health, "draining", True))
            app.state.health.add_check("redis", runtime.redis.ping)
            app.state.health.add_check("nats", nats_check(runtime.nc))
            if consume:
                app.state.workers.spawn("projector", runtime.projector.run)
            try:
                yield
            finally:
                stop_notice.uninstall()

    app: Litestar = create_service_app(
        settings=order_view_service_settings(),
        route_handlers=[MyOrdersController],
        lifespan=lifespan,
        jwt=None if token_verifier else (jwt or jwt_settings()),
        token_verifier=token_verifier,
        description="The CQRS read model of a customer's orders: order, payment and delivery status.",
        dependencies={
            "my_orders": Provide(_my_orders, sync_to_thread=False),
            "view_settings": Provide(lambda: view_settings, sync_to_thread=False),
            "stop_notice": Provide(lambda: stop_notice, sync_to_thread=False),
        },
    )
    return app


def _my_orders(state: State) -> MyOrders:
    return state.runtime.my_orders  # type: ignore[no-any-return]

"""REST adapter: the orders API (Litestar) and `create_app()`, the factory granian serves."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Litestar, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter

from fitshop_common.app import create_service_app
from fitshop_common.errors import NotFound, Problem, problem_response
from fitshop_common.messaging import nats_check
from fitshop_common.openapi import CURSOR_PATTERN, ProblemResponses
from fitshop_common.postgres import pool_check
from fitshop_common.security import Principal, TokenVerifier, require_role
from fitshop_common.settings import ServiceSettings, jwt_settings, service_settings
from orders.application.ports import StorageUnavailable
from orders.application.service import OrdersService, Viewer
from orders.bootstrap import bootstrap
from orders.domain.commands import CancelOrder
from orders.entrypoints.grpc_server import serve_grpc
from orders.entrypoints.outcomes import (
    ORDERS_PATH,
    cancelled_or_problem,
    order_location,
    placed_or_problem,
)
from orders.entrypoints.schemas import (
    OrderBody,
    OrderPage,
    PlaceOrderRequest,
    decode_cursor,
    encode_cursor,
)

log = logging.getLogger(__name__)


PROBLEMS = ProblemResponses({
    402: "The card was declined; the order is PAYMENT_DECLINED and nothing was charged.",
    403: "The token lacks the role this needs.",
    404: "No such order (or it is someone else's).",
    409: "A product is unknown or unavailable, or the order can no longer be cancelled.",
    503: "Payment is busy or failing; retry after the Retry-After seconds.",
})


def locale_of(request: Request[Any, Any, Any]) -> str:
    """Messages to the customer follow their browser: English if it prefers it, else Korean."""
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "ko"


def storage_unavailable(request: Request[Any, Any, Any], exc: StorageUnavailable) -> Response[Problem]:
    log.warning("database unavailable: %s", exc)
    return problem_response(503, "Orders are briefly unavailable, please retry shortly.",
                            headers={"Retry-After": "2"}, instance=request.url.path)


class OrderController(Controller):
    """Customers place, read and cancel their orders; sellers read any order."""

    path = ORDERS_PATH
    tags = ["orders"]
    security = [{"bearer": []}]
    exception_handlers = {StorageUnavailable: storage_unavailable}

    @post("/", operation_id="placeOrder", status_code=201, guards=[require_role("customer")],
          responses=PROBLEMS(400, 401, 402, 403, 409, 422, 503))
    async def place_order(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PlaceOrderRequest],
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrdersService],
        idempotency_key: Annotated[str | None, HeaderParameter(
            name="Idempotency-Key", min_length=1, max_length=255, required=False,
            description="Repeat the same request safely: same key and body give the same order.",
        )] = None,
    ) -> Response[OrderBody]:
        """Buy the lines and pay for them now; answers the PLACED order."""
        command = data.to_command(principal, idempotency_key=idempotency_key,
                                  locale=locale_of(request))
        body = placed_or_problem(await orders.place_order(command))
        return Response(body, status_code=201, headers={"Location": order_location(body.id)})

    @get("/", operation_id="listOrders", guards=[require_role("customer")],
         responses=PROBLEMS(401, 403, 422))
    async def list_orders(
        self,
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrdersService],
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="Page size (1-200).")] = 50,
        cursor: Annotated[str | None, QueryParameter(
            pattern=CURSOR_PATTERN, required=False, description="`next_cursor` of the previous page.",
        )] = None,
    ) -> OrderPage:
        """The caller's own orders, newest first."""
        page = await orders.list_orders(principal.subject, limit,
                                        decode_cursor(cursor) if cursor else None)
        return OrderPage(items=[OrderBody.of(o) for o in page.orders],
                         next_cursor=encode_cursor(page.next_after))

    @get("/{order_id:uuid}", operation_id="getOrder", guards=[require_role("customer", "seller")],
         responses=PROBLEMS(401, 403, 404))
    async def get_order(
        self,
        order_id: Annotated[UUID, PathParameter(description="The order id.")],
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrdersService],
    ) -> OrderBody:
        """One order: the ordering customer's, or any for a seller."""
        order = await orders.get_order(str(order_id), Viewer(principal.subject,
                                                             principal.has_role("seller")))
        if order is None:
            raise NotFound(f"There is no order {order_id}.")
        return OrderBody.of(order)

    @post("/{order_id:uuid}/cancel", operation_id="cancelOrder", status_code=200,
          guards=[require_role("customer")], responses=PROBLEMS(401, 403, 404, 409, 503))
    async def cancel_order(
        self,
        order_id: Annotated[UUID, PathParameter(description="The order id.")],
        principal: NamedDependency[Principal],
        orders: NamedDependency[OrdersService],
    ) -> OrderBody:
        """Cancel the caller's order and refund it (refused once delivered; repeating is harmless)."""
        return cancelled_or_problem(
            await orders.cancel_order(CancelOrder(str(order_id), principal.subject)))


def provide_orders(request: Request[Any, Any, Any]) -> OrdersService:
    service: OrdersService = request.app.state.orders
    return service


def create_app(
    *,
    lifespan: Callable[[Litestar], AbstractAsyncContextManager[None]] | None = None,
    token_verifier: TokenVerifier | None = None,
) -> Litestar:
    """The orders service: REST here, gRPC and the background loops started from the lifespan.

    Tests may pass their own `lifespan` (which must put an OrdersService on
    `app.state.orders`) and a `token_verifier`.
    """
    return create_service_app(
        settings=_service_settings(),
        route_handlers=[OrderController],
        lifespan=lifespan or service_lifespan(),
        jwt=None if token_verifier else jwt_settings(),
        token_verifier=token_verifier,
        description="Orders with synchronous card payment; see API.md.",
        dependencies={"orders": Provide(provide_orders, sync_to_thread=False)},
    )


def _service_settings() -> ServiceSettings:
    settings = service_settings()
    if "SERVICE_NAME" not in os.environ:  # logs, metrics and events say "orders" by default
        settings = settings.model_copy(update={"service_name": "orders"})
    return settings


def service_lifespan(**overrides: Any) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """The real service's lifespan: database, NATS, relay, consumers, reconciler, gRPC server.

    `overrides` go to `bootstrap` (tests pass explicit settings or a gateway).
    """

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with bootstrap(**overrides) as runtime:
            app.state.runtime = runtime
            app.state.orders = runtime.service
            app.state.health.add_check("postgres", pool_check(runtime.pool))
            app.state.health.add_check("nats", nats_check(runtime.nc))
            app.state.workers.spawn("outbox-relay", runtime.relay.run)
            for consumer in runtime.consumers:
                app.state.workers.spawn(consumer.durable, consumer.run)
            interval = runtime.settings.reconcile_interval_seconds

            async def reconcile(stop: asyncio.Event) -> None:
                await runtime.service.run_reconciler(stop, interval)

            app.state.workers.spawn("payment-reconciler", reconcile)
            async with serve_grpc(runtime.service, app.state.token_verifier,
                                  runtime.settings) as grpc_port:
                app.state.grpc_port = grpc_port
                yield

    return lifespan

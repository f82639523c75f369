"""The seller's delivery API (Litestar) and the `create_app()` factory granian serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Litestar, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from delivery.application.ports import InvalidCursor
from delivery.application.service import DeliveryService, Missing, Result
from delivery.bootstrap import bootstrap
from delivery.domain.commands import ChangeDeliveryStatus, StartDelivery
from delivery.domain.delivery import Delivery, Refused
from delivery.domain.values import DeliveryStatus
from fitshop_common.app import create_service_app
from fitshop_common.errors import Conflict, FieldError, NotFound, ValidationFailed
from fitshop_common.messaging import nats_check
from fitshop_common.openapi import CURSOR_PATTERN, ProblemResponses
from fitshop_common.postgres import pool_check
from fitshop_common.security import TokenVerifier, require_role
from fitshop_common.settings import (
    NatsSettings,
    PostgresSettings,
    ServiceSettings,
    jwt_settings,
)


class MoneyOut(msgspec.Struct):
    amount: int
    currency: str


class LineOut(msgspec.Struct):
    product_id: UUID
    name: str
    unit_price: MoneyOut
    quantity: int


class AddressOut(msgspec.Struct):
    recipient: str
    line1: str
    city: str
    postal_code: str
    phone: str


class DeliveryOut(msgspec.Struct):
    id: UUID
    order_id: UUID
    customer_id: str
    status: DeliveryStatus
    lines: list[LineOut]
    shipping_address: AddressOut
    version: int
    cancellation_refused_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        a = d.shipping_address
        return cls(
            id=d.id, order_id=d.order_id, customer_id=d.customer.customer_id, status=d.status,
            lines=[LineOut(x.product_id, x.name, MoneyOut(x.unit_price.amount,
                                                          x.unit_price.currency), x.quantity)
                   for x in d.lines],
            shipping_address=AddressOut(a.recipient, a.line1, a.city, a.postal_code, a.phone),
            version=d.version, cancellation_refused_reason=d.cancellation_refused_reason,
            created_at=d.created_at, updated_at=d.updated_at,
        )


class DeliveryPage(msgspec.Struct):
    items: list[DeliveryOut]
    next_cursor: str | None


class ChangeStatusRequest(msgspec.Struct, forbid_unknown_fields=True):
    status: Literal["IN_TRANSIT", "DELIVERED"]


PROBLEMS = ProblemResponses({
    403: "The token lacks the seller role.",
    404: "No delivery has this id.",
    409: "The delivery is not in a status this step can follow; the detail says which.",
})


def _answer(result: Result) -> DeliveryOut:
    if isinstance(result, Missing):
        raise NotFound("No delivery has this id.")
    if isinstance(result, Refused):
        raise Conflict(result.reason)
    return DeliveryOut.of(result)


class DeliveryController(Controller):
    """The seller's queue of paid orders and their delivery status."""

    path = "/api/v1/deliveries"
    guards = [require_role("seller")]
    tags = ["deliveries"]
    security = [{"bearer": []}]

    @get("/", operation_id="listDeliveries", responses=PROBLEMS(401, 403, 422))
    async def list_deliveries(
        self,
        deliveries: NamedDependency[DeliveryService],
        status: Annotated[DeliveryStatus | None, QueryParameter(
            description="Only deliveries in this status.")] = None,
        limit: Annotated[int, QueryParameter(
            ge=1, le=200, description="Page size (max 200).")] = 50,
        cursor: Annotated[str | None, QueryParameter(
            pattern=CURSOR_PATTERN,
            description="`next_cursor` of the previous page.")] = None,
    ) -> DeliveryPage:
        """The seller's queue, oldest first."""
        try:
            page = await deliveries.queue(status, limit, cursor)
        except InvalidCursor as exc:
            raise ValidationFailed(str(exc), errors=[FieldError("cursor", str(exc))]) from exc
        return DeliveryPage([DeliveryOut.of(d) for d in page.items], page.next_cursor)

    @get("/{delivery_id:uuid}", operation_id="getDelivery", responses=PROBLEMS(401, 403, 404))
    async def get_delivery(self, deliveries: NamedDependency[DeliveryService],
                           delivery_id: FromPath[UUID]) -> DeliveryOut:
        """One delivery."""
        return _answer(await deliveries.get(delivery_id))

    @post("/{delivery_id:uuid}/start", operation_id="startDelivery", status_code=200,
          responses=PROBLEMS(401, 403, 404, 409))
    async def start_delivery(self, deliveries: NamedDependency[DeliveryService],
                             delivery_id: FromPath[UUID]) -> DeliveryOut:
        """Accept the order and start delivery (REQUESTED → STARTED)."""
        return _answer(await deliveries.start_delivery(StartDelivery(delivery_id)))

    @post("/{delivery_id:uuid}/status", operation_id="changeDeliveryStatus", status_code=200,
          responses=PROBLEMS(400, 401, 403, 404, 409, 422))
    async def change_status(self, deliveries: NamedDependency[DeliveryService],
                            delivery_id: FromPath[UUID],
                            data: JSONBody[ChangeStatusRequest]) -> DeliveryOut:
        """Report that the parcel is IN_TRANSIT or DELIVERED."""
        return _answer(await deliveries.change_status(
            ChangeDeliveryStatus(delivery_id, DeliveryStatus(data.status))))


def _provide_service(state: State) -> DeliveryService:
    service: DeliveryService = state.runtime.service
    return service


def create_app(*, postgres: PostgresSettings | None = None, nats: NatsSettings | None = None,
               token_verifier: TokenVerifier | None = None) -> Litestar:
    """granian calls it bare (settings from the environment); tests pass their servers."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with bootstrap(postgres, nats) as runtime:
            app.state.runtime = runtime
            app.state.health.add_check("postgres", pool_check(runtime.pool))
            app.state.health.add_check("nats", nats_check(runtime.nc))
            app.state.workers.spawn("outbox-relay", runtime.relay.run)
            for consumer in runtime.consumers:
                app.state.workers.spawn(consumer.durable, consumer.run)
            yield

    return create_service_app(
        settings=ServiceSettings(service_name="delivery"),
        route_handlers=[DeliveryController],
        lifespan=lifespan,
        jwt=None if token_verifier else jwt_settings(),
        token_verifier=token_verifier,
        description="The seller's delivery queue (fitshop).",
        dependencies={"deliveries": Provide(_provide_service, sync_to_thread=False)},
    )

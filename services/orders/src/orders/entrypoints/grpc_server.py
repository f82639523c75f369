"""gRPC adapter (grpc.aio): PlaceOrder / GetOrder / CancelOrder over the same application service."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, NoReturn, TypeVar

import grpc
import msgspec

from fitshop_common.errors import (
    AppError,
    FieldError,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from fitshop_common.security import Principal, TokenVerifier
from orders.application.ports import StorageUnavailable
from orders.application.service import OrdersService, Viewer
from orders.domain.commands import CancelOrder
from orders.entrypoints import orders_pb2, orders_pb2_grpc
from orders.entrypoints.outcomes import cancelled_or_problem, placed_or_problem
from orders.entrypoints.schemas import MoneyBody, OrderBody, PlaceOrderRequest
from orders.settings import OrdersSettings

log = logging.getLogger(__name__)

# One table from our HTTP problems to gRPC status codes (the REST mapping's twin).
STATUS_CODES: dict[int, grpc.StatusCode] = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    402: grpc.StatusCode.FAILED_PRECONDITION,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.FAILED_PRECONDITION,
    422: grpc.StatusCode.INVALID_ARGUMENT,
    503: grpc.StatusCode.UNAVAILABLE,
}

T = TypeVar("T")


def _money(body: MoneyBody) -> orders_pb2.Money:
    return orders_pb2.Money(amount=body.amount, currency=body.currency)


def to_message(body: OrderBody) -> orders_pb2.Order:
    a = body.shipping_address
    message = orders_pb2.Order(
        id=body.id, customer_id=body.customer_id, status=body.status,
        lines=[orders_pb2.OrderLine(product_id=line.product_id, name=line.name,
                                    unit_price=_money(line.unit_price), quantity=line.quantity)
               for line in body.lines],
        total=_money(body.total),
        shipping_address=orders_pb2.ShippingAddress(recipient=a.recipient, line1=a.line1,
                                                    city=a.city, postal_code=a.postal_code,
                                                    phone=a.phone),
        created_at=body.created_at.isoformat(), updated_at=body.updated_at.isoformat(),
        version=body.version, delivery_status=body.delivery_status or "",
    )
    if body.payment is not None:
        message.payment.CopyFrom(orders_pb2.Payment(
            id=body.payment.id, status=body.payment.status, amount=_money(body.payment.amount),
            card_last4=body.payment.card_last4 or "", decline_code=body.payment.decline_code or ""))
    return message


def to_request(message: orders_pb2.PlaceOrderRequest) -> PlaceOrderRequest:
    """The REST body's struct, so both adapters validate with the very same rules."""
    raw: dict[str, Any] = {
        "lines": [{"product_id": line.product_id, "quantity": line.quantity}
                  for line in message.lines],
        "shipping_address": None,
        "payment": None,
    }
    if message.HasField("shipping_address"):
        a = message.shipping_address
        raw["shipping_address"] = {"recipient": a.recipient, "line1": a.line1, "city": a.city,
                                   "postal_code": a.postal_code, "phone": a.phone}
    if message.HasField("payment"):
        raw["payment"] = {"method": message.payment.method,
                          "card_number": message.payment.card_number}
    try:
        return msgspec.convert(raw, PlaceOrderRequest)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(f"The request did not pass validation: {exc}.") from exc


def _order_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise ValidationFailed("order_id must be a UUID.",
                               errors=[FieldError("order_id", "not a UUID")]) from exc


async def _abort(context: grpc.aio.ServicerContext[Any, Any], error: AppError) -> NoReturn:
    code = STATUS_CODES.get(error.status, grpc.StatusCode.INTERNAL)
    detail = error.detail
    if error.errors:
        detail += " " + "; ".join(f"{e.field}: {e.message}" for e in error.errors)
    trailing = tuple((name.lower(), value) for name, value in error.headers.items()
                     if name.lower() in ("retry-after", "location"))
    await context.abort(code, detail, trailing_metadata=trailing)
    raise AssertionError("abort raises")  # pragma: no cover


class OrdersServicer(orders_pb2_grpc.OrdersServicer):
    def __init__(self, service: OrdersService, verifier: TokenVerifier) -> None:
        self._service = service
        self._verifier = verifier

    async def _guarded(self, context: grpc.aio.ServicerContext[Any, Any],
                       call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except AppError as error:
            await _abort(context, error)
        except StorageUnavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE,
                                "Orders are briefly unavailable, please retry shortly.",
                                trailing_metadata=(("retry-after", "2"),))
            raise  # pragma: no cover - abort raises

    async def _principal(self, context: grpc.aio.ServicerContext[Any, Any],
                         *roles: str) -> Principal:
        metadata = dict(context.invocation_metadata() or ())
        scheme, _, token = str(metadata.get("authorization", "")).partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized()
        principal = await self._verifier.verify(token.strip())
        if not principal.roles & set(roles):
            raise Forbidden(f"This needs the role {' or '.join(roles)}.")
        return principal

    async def PlaceOrder(self, request: orders_pb2.PlaceOrderRequest,
                         context: grpc.aio.ServicerContext[Any, Any]) -> orders_pb2.Order:
        async def call() -> orders_pb2.Order:
            principal = await self._principal(context, "customer")
            body = to_request(request)
            command = body.to_command(principal, idempotency_key=request.idempotency_key or None,
                                      locale="en" if request.locale == "en" else "ko")
            return to_message(placed_or_problem(await self._service.place_order(command)))

        return await self._guarded(context, call)

    async def GetOrder(self, request: orders_pb2.GetOrderRequest,
                       context: grpc.aio.ServicerContext[Any, Any]) -> orders_pb2.Order:
        async def call() -> orders_pb2.Order:
            principal = await self._principal(context, "customer", "seller")
            order_id = _order_id(request.order_id)
            order = await self._service.get_order(
                order_id, Viewer(principal.subject, principal.has_role("seller")))
            if order is None:
                raise NotFound(f"There is no order {order_id}.")
            return to_message(OrderBody.of(order))

        return await self._guarded(context, call)

    async def CancelOrder(self, request: orders_pb2.CancelOrderRequest,
                          context: grpc.aio.ServicerContext[Any, Any]) -> orders_pb2.Order:
        async def call() -> orders_pb2.Order:
            principal = await self._principal(context, "customer")
            command = CancelOrder(_order_id(request.order_id), principal.subject,
                                  request.reason[:500] or None)
            return to_message(cancelled_or_problem(await self._service.cancel_order(command)))

        return await self._guarded(context, call)


@asynccontextmanager
async def serve_grpc(service: OrdersService, verifier: TokenVerifier | None,
                     settings: OrdersSettings, grace_seconds: float = 5.0) -> AsyncIterator[int | None]:
    """Serve gRPC while the block runs; yields the bound port (None when turned off)."""
    if settings.orders_grpc_port == 0:
        yield None
        return
    if verifier is None:
        raise RuntimeError("the gRPC API needs a token verifier (JWT settings)")
    server = grpc.aio.server()
    orders_pb2_grpc.add_OrdersServicer_to_server(OrdersServicer(service, verifier), server)
    port = server.add_insecure_port(f"{settings.orders_grpc_host}:{settings.orders_grpc_port}")
    await server.start()
    log.info("gRPC serving", extra={"port": port})
    try:
        yield port
    finally:
        await server.stop(grace_seconds)

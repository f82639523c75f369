"""The provider's public API (`/v1/payments`) and the app factory that also starts the admin port."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from litestar import Controller, Litestar, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from fitshop_common.app import create_service_app
from fitshop_common.settings import ServiceSettings, service_settings
from payment_gateway.application.ports import PaymentStore
from payment_gateway.application.service import PaymentProvider
from payment_gateway.bootstrap import Runtime, bootstrap
from payment_gateway.domain.payment import PaymentRequest, PaymentStatus
from payment_gateway.entrypoints.admin import AdminServer
from payment_gateway.entrypoints.errors import PROVIDER_ERROR_HANDLERS
from payment_gateway.entrypoints.schemas import (
    CancelPaymentRequest,
    CreatePaymentRequest,
    ErrorBody,
    PaymentBody,
)
from payment_gateway.settings import PaymentSettings, payment_settings

MAX_KEY_LENGTH = 255
# Visible ASCII, no leading or trailing blank (HTTP would strip those and change the key).
KEY_PATTERN = r"^[\x21-\x7E]([\x20-\x7E]*[\x21-\x7E])?$"

_ERRORS = {
    400: "Unreadable request: bad JSON, missing header or parameter",
    404: "No such payment",
    422: "Invalid request body, or an idempotency key reused with another body",
    500: "Internal error (injected)",
    503: "Overloaded or in an outage; see Retry-After",
}


def _responses(*codes: int) -> dict[int, ResponseSpec]:
    return {code: ResponseSpec(data_container=ErrorBody, description=_ERRORS[code]) for code in codes}


def _answer(body: PaymentBody, status: int, replayed: bool = False) -> Response[PaymentBody]:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(body, status_code=status, headers=headers)


class PaymentController(Controller):
    """Payments: authorize and capture, look up, cancel (refund)."""

    path = "/v1/payments"
    tags = ["payments"]
    exception_handlers = PROVIDER_ERROR_HANDLERS

    @post(
        "/",
        operation_id="createPayment",
        status_code=201,
        responses={
            402: ResponseSpec(data_container=PaymentBody, description="Declined; nothing charged"),
            **_responses(400, 422, 500, 503),
        },
    )
    async def create(
        self,
        provider: NamedDependency[PaymentProvider],
        data: JSONBody[CreatePaymentRequest],
        idempotency_key: Annotated[str, HeaderParameter(
            name="Idempotency-Key", min_length=1, max_length=MAX_KEY_LENGTH, pattern=KEY_PATTERN,
            description="The merchant's key for this charge, e.g. the order id")],
    ) -> Response[PaymentBody]:
        """Authorize and capture a card payment (201 approved, 402 declined)."""
        request = PaymentRequest(
            idempotency_key=idempotency_key,
            amount=data.amount,
            currency=data.currency,
            card_number=data.card_number,
            order_id=data.order_id,
            description=data.description,
        )
        result = await provider.create(request)
        status = 402 if result.payment.status is PaymentStatus.DECLINED else 201
        return _answer(PaymentBody.of(result.payment), status, result.replayed)

    @get("/", operation_id="findPaymentByIdempotencyKey", responses=_responses(400, 404, 500, 503))
    async def find(
        self,
        provider: NamedDependency[PaymentProvider],
        idempotency_key: Annotated[str, QueryParameter(
            min_length=1, max_length=MAX_KEY_LENGTH, description="Key of the create call")],
    ) -> PaymentBody:
        """Find the payment a create call with this idempotency key made."""
        return PaymentBody.of(await provider.find_by_idempotency_key(idempotency_key))

    @get("/{payment_id:str}", operation_id="getPayment", responses=_responses(404, 500, 503))
    async def get_one(
        self, provider: NamedDependency[PaymentProvider], payment_id: FromPath[str]
    ) -> PaymentBody:
        """Read one payment."""
        return PaymentBody.of(await provider.get(payment_id))

    @post(
        "/{payment_id:str}/cancel",
        operation_id="cancelPayment",
        status_code=200,
        responses={
            409: ResponseSpec(data_container=ErrorBody, description="Declined: nothing to cancel"),
            **_responses(400, 404, 422, 500, 503),
        },
    )
    async def cancel(
        self,
        provider: NamedDependency[PaymentProvider],
        payment_id: FromPath[str],
        data: JSONBody[CancelPaymentRequest],
    ) -> PaymentBody:
        """Cancel an approved payment and refund it in full (repeating answers the same)."""
        return PaymentBody.of(await provider.cancel(payment_id, data.reason))


def provide_provider(state: State) -> PaymentProvider:
    runtime: Runtime = state.runtime
    return runtime.provider


def _service_settings() -> ServiceSettings:
    settings = service_settings()
    if "SERVICE_NAME" in os.environ:
        return settings
    return settings.model_copy(update={"service_name": "payment-gateway"})


def create_app(
    settings: PaymentSettings | None = None, *, store: PaymentStore | None = None
) -> Litestar:
    """The provider API; with faults enabled, the admin API listens on its own port too."""
    settings = settings or payment_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with bootstrap(settings, store) as runtime:
            app.state.runtime = runtime
            admin: AdminServer | None = None
            if settings.faults_enabled:
                admin = AdminServer(runtime.provider, settings.admin_host, settings.admin_port)
                await admin.start()
            try:
                yield
            finally:
                if admin is not None:
                    await admin.stop()

    return create_service_app(
        settings=_service_settings(),
        route_handlers=[PaymentController],
        lifespan=lifespan,
        description="A mock of an external card-payment provider.",
        dependencies={"provider": Provide(provide_provider, sync_to_thread=False)},
    )

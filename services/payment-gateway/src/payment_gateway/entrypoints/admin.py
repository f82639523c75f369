"""The fault-injection admin API, served on its own port from inside the main app's process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from granian.constants import Interfaces
from granian.server.embed import Server
from litestar import Controller, Litestar, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, JSONBody

from payment_gateway.application.ports import DuplicatePayment
from payment_gateway.application.service import PaymentProvider
from payment_gateway.domain.faults import InvalidFaults
from payment_gateway.domain.payment import PaymentRequest, PaymentStatus
from payment_gateway.entrypoints.errors import PROVIDER_ERROR_HANDLERS, error_response
from payment_gateway.entrypoints.schemas import (
    FaultsBody,
    PaymentBody,
    PaymentList,
    RecordPaymentRequest,
)

log = logging.getLogger(__name__)


class FaultsController(Controller):
    """The faults in force; PUT replaces them all (`{}` clears every fault)."""

    path = "/admin/faults"

    @get("/", operation_id="getFaults", sync_to_thread=False)
    def read(self, provider: NamedDependency[PaymentProvider]) -> FaultsBody:
        """Read the faults in force."""
        return FaultsBody.of(provider.faults.faults)

    @put("/", operation_id="replaceFaults", sync_to_thread=False)
    def replace(
        self, provider: NamedDependency[PaymentProvider], data: JSONBody[FaultsBody]
    ) -> Response[Any]:
        """Put these faults in force from the next call on."""
        try:
            faults = data.to_faults()
        except InvalidFaults as exc:
            return error_response(422, "invalid_request", exc.message, param=exc.field)
        log.warning("faults replaced", extra={"faults": str(faults)})
        return Response(FaultsBody.of(provider.faults.replace(faults)))


class InspectionController(Controller):
    """What the provider has recorded, for tests and demos; also seeds payments with chosen ids."""

    path = "/admin/payments"

    @get("/", operation_id="listPayments")
    async def list_payments(
        self,
        provider: NamedDependency[PaymentProvider],
        order_id: FromQuery[str | None] = None,
    ) -> PaymentList:
        """Payments of one order (or all), oldest first, with their status."""
        return PaymentList(items=[PaymentBody.of(p) for p in await provider.payments(order_id)])

    @post("/", operation_id="recordPayment", status_code=201)
    async def record(
        self, provider: NamedDependency[PaymentProvider], data: JSONBody[RecordPaymentRequest]
    ) -> Response[Any]:
        """Create a payment as POST /v1/payments would, with a chosen id, bypassing faults."""
        request = PaymentRequest(
            idempotency_key=data.idempotency_key,
            amount=data.amount,
            currency=data.currency,
            card_number=data.card_number,
            order_id=data.order_id,
            description=data.description,
        )
        try:
            result = await provider.record(request, data.id)
        except DuplicatePayment:
            return error_response(409, "payment_exists", f"A payment {data.id} already exists.")
        status = 402 if result.payment.status is PaymentStatus.DECLINED else 201
        return Response(PaymentBody.of(result.payment), status_code=status)

    @delete("/", operation_id="forgetPayments", status_code=204)
    async def forget(self, provider: NamedDependency[PaymentProvider]) -> None:
        """Forget every payment (test isolation)."""
        await provider.forget_all()


def create_admin_app(provider: PaymentProvider) -> Litestar:
    return Litestar(
        route_handlers=[FaultsController, InspectionController],
        state=State({"provider": provider}),
        dependencies={"provider": Provide(lambda: provider, sync_to_thread=False)},
        exception_handlers=PROVIDER_ERROR_HANDLERS,
        openapi_config=None,
        logging_config=None,
    )


class AdminServer:
    """granian's embedded server on the admin port, in the running event loop, so the admin
    app shares the provider (and its in-memory state) with the main app."""

    def __init__(self, provider: PaymentProvider, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._server = Server(
            create_admin_app(provider),
            address=host,
            port=port,
            interface=Interfaces.ASGINL,  # the admin app has no lifespan of its own
            log_enabled=False,  # keep the JSON logging the main app configured
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Serve, and return once the port accepts connections (raise if it never does)."""
        self._task = asyncio.create_task(self._server.serve(), name="payment-admin")
        deadline = asyncio.get_running_loop().time() + 5.0
        # The socket is bound on the task's first step: let it run before probing, so a port
        # held by another process is reported as ours failing, not taken for success.
        await asyncio.sleep(0.05)
        while self._task.done() or not await self._accepting():
            if self._task.done():
                error = self._task.exception()
                raise RuntimeError(f"admin API could not listen on {self.host}:{self.port}: {error!r}")
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"admin API did not start on {self.host}:{self.port}")
            await asyncio.sleep(0.02)
        log.info("admin API listening", extra={"port": self.port})

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.stop()  # type: ignore[no-untyped-call]
        try:
            await asyncio.wait_for(self._task, 5.0)
        except (TimeoutError, Exception):  # stopping must not hide the main app's shutdown
            log.exception("admin API did not stop cleanly")
            self._task.cancel()
        self._task = None

    async def _accepting(self) -> bool:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        try:
            _, writer = await asyncio.open_connection(host, self.port)
        except OSError:
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

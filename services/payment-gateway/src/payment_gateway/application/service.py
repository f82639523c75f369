"""The provider's use cases: charge with an idempotency key, look a payment up, cancel (refund) it."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from payment_gateway.application.errors import (
    IdempotencyKeyReused,
    PaymentNotCancellable,
    PaymentNotFound,
)
from payment_gateway.application.faults import FaultInjector
from payment_gateway.application.ports import Clock, PaymentStore
from payment_gateway.domain.payment import CancelOutcome, Payment, PaymentRequest


def new_payment_id() -> str:
    return f"pay_{secrets.token_hex(12)}"


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    replayed: bool
    """True when the idempotency key was seen before and this is the stored answer."""


class PaymentProvider:
    """One method per provider call. Public calls suffer the injected faults; admin calls do not."""

    def __init__(
        self,
        store: PaymentStore,
        faults: FaultInjector,
        clock: Clock,
        new_id: Callable[[], str] = new_payment_id,
    ) -> None:
        self._store = store
        self.faults = faults
        self._clock = clock
        self._new_id = new_id
        # Deciding and storing must be one step so two concurrent calls with one key charge once.
        self._deciding = asyncio.Lock()

    async def create(self, request: PaymentRequest) -> PaymentResult:
        """Authorize and capture; a repeated key with the same body answers the stored payment."""
        async with self.faults.admitted() as faults:
            if not faults.charge_then_delay:
                await self.faults.delay(faults)
            self.faults.maybe_fail(faults)
            result = await self._decide_once(request, None)
            if faults.charge_then_delay:
                await self.faults.delay(faults)
            return result

    async def get(self, payment_id: str) -> Payment:
        async with self.faults.admitted() as faults:
            await self.faults.delay(faults)
            self.faults.maybe_fail(faults)
            return await self._existing(payment_id)

    async def find_by_idempotency_key(self, key: str) -> Payment:
        """How a merchant learns the outcome of a call whose answer it never received."""
        async with self.faults.admitted() as faults:
            await self.faults.delay(faults)
            self.faults.maybe_fail(faults)
            payment = await self._store.by_idempotency_key(key)
            if payment is None:
                raise PaymentNotFound(f"No payment has the idempotency key {key!r}.")
            return payment

    async def cancel(self, payment_id: str, reason: str | None) -> Payment:
        """Refund in full; repeating answers the same cancelled payment."""
        async with self.faults.admitted() as faults:
            await self.faults.delay(faults)
            self.faults.maybe_fail(faults)
            async with self._deciding:
                payment = await self._existing(payment_id)
                cancelled, outcome = payment.cancel(reason, self._clock.now())
                if outcome is CancelOutcome.NOT_CANCELLABLE:
                    raise PaymentNotCancellable(
                        f"Payment {payment_id} was {payment.status}; there is nothing to cancel."
                    )
                if outcome is CancelOutcome.CANCELLED:
                    await self._store.replace(cancelled)
                return cancelled

    # -- admin: inspection and test setup, never subject to faults --------------------------

    async def payments(self, order_id: str | None) -> list[Payment]:
        return await self._store.by_order(order_id)

    async def record(self, request: PaymentRequest, payment_id: str | None) -> PaymentResult:
        """Create a payment as `create` would, optionally with a chosen id (provider states)."""
        return await self._decide_once(request, payment_id)

    async def forget_all(self) -> None:
        await self._store.clear()

    async def _decide_once(self, request: PaymentRequest, payment_id: str | None) -> PaymentResult:
        async with self._deciding:
            existing = await self._store.by_idempotency_key(request.idempotency_key)
            if existing is not None:
                if not existing.matches(request):
                    raise IdempotencyKeyReused(
                        "This idempotency key was used with a different request body."
                    )
                return PaymentResult(existing, replayed=True)
            payment = Payment.authorize(payment_id or self._new_id(), request, self._clock.now())
            await self._store.add(payment)
            return PaymentResult(payment, replayed=False)

    async def _existing(self, payment_id: str) -> Payment:
        payment = await self._store.get(payment_id)
        if payment is None:
            raise PaymentNotFound(f"No payment has the id {payment_id!r}.")
        return payment

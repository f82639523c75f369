"""Payments kept in this process only (the default: a restart forgets them, like a fresh sandbox)."""

from __future__ import annotations

from payment_gateway.application.ports import DuplicatePayment, PaymentStore
from payment_gateway.domain.payment import Payment


class InMemoryPaymentStore(PaymentStore):
    def __init__(self) -> None:
        self._by_id: dict[str, Payment] = {}
        self._id_by_key: dict[str, str] = {}

    async def add(self, payment: Payment) -> None:
        if payment.id in self._by_id or payment.idempotency_key in self._id_by_key:
            raise DuplicatePayment(payment.id)
        self._by_id[payment.id] = payment
        self._id_by_key[payment.idempotency_key] = payment.id

    async def replace(self, payment: Payment) -> None:
        if payment.id not in self._by_id:
            raise KeyError(payment.id)
        self._by_id[payment.id] = payment

    async def get(self, payment_id: str) -> Payment | None:
        return self._by_id.get(payment_id)

    async def by_idempotency_key(self, key: str) -> Payment | None:
        payment_id = self._id_by_key.get(key)
        return self._by_id[payment_id] if payment_id else None

    async def by_order(self, order_id: str | None) -> list[Payment]:
        # dicts keep insertion order: oldest first
        return [p for p in self._by_id.values() if order_id is None or p.order_id == order_id]

    async def clear(self) -> None:
        self._by_id.clear()
        self._id_by_key.clear()

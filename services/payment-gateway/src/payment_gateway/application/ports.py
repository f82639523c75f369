"""Ports of the provider's use cases: where payments are kept, what time it is."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from payment_gateway.domain.payment import Payment


class DuplicatePayment(Exception):
    """A payment with this id or idempotency key is already stored."""


class PaymentStore(ABC):
    """The provider's own storage of payments."""

    @abstractmethod
    async def add(self, payment: Payment) -> None:
        """Store a new payment; raises DuplicatePayment when its id or key is taken."""

    @abstractmethod
    async def replace(self, payment: Payment) -> None:
        """Store a new state of a payment that exists."""

    @abstractmethod
    async def get(self, payment_id: str) -> Payment | None: ...

    @abstractmethod
    async def by_idempotency_key(self, key: str) -> Payment | None: ...

    @abstractmethod
    async def by_order(self, order_id: str | None) -> list[Payment]:
        """Payments for `order_id` (every payment when None), oldest first."""

    @abstractmethod
    async def clear(self) -> None:
        """Forget every payment (test isolation through the admin API)."""


class Clock(ABC):
    @abstractmethod
    def now(self) -> datetime: ...

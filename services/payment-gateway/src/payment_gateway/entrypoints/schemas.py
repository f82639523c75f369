"""Wire formats of the provider API (a third party's shapes, not fitshop's problem+json)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from payment_gateway.domain.faults import MAX_LATENCY_MS, Faults
from payment_gateway.domain.payment import Payment

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
MAX_AMOUNT = 10_000_000_000  # ten billion won: anything larger is a client bug, not a purchase


class CreatePaymentRequest(msgspec.Struct, kw_only=True):
    """Authorize and capture `amount` on a card."""

    amount: Annotated[int, msgspec.Meta(gt=0, le=MAX_AMOUNT, description="KRW, no minor unit")]
    currency: Literal["KRW"]
    # Lengths as well as patterns: Python's `$` also matches before a final newline.
    card_number: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{16}$", min_length=16, max_length=16)]
    order_id: Annotated[str, msgspec.Meta(pattern=UUID_PATTERN, min_length=36, max_length=36)]
    description: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class CancelPaymentRequest(msgspec.Struct, kw_only=True):
    reason: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class PaymentBody(msgspec.Struct, kw_only=True):
    """A payment as the provider shows it; every key is always present (null when not applicable)."""

    id: str
    status: Literal["APPROVED", "DECLINED", "CANCELLED"]
    amount: int
    currency: str
    idempotency_key: str
    order_id: str
    card_last4: str
    description: str | None
    created_at: str
    approved_at: str | None
    decline_code: Literal["insufficient_funds", "expired_card"] | None
    message: str | None
    cancelled_at: str | None
    cancel_reason: str | None

    @classmethod
    def of(cls, payment: Payment) -> PaymentBody:
        return cls(
            id=payment.id,
            status=payment.status.value,
            amount=payment.amount,
            currency=payment.currency,
            idempotency_key=payment.idempotency_key,
            order_id=payment.order_id,
            card_last4=payment.card_last4,
            description=payment.description,
            created_at=rfc3339(payment.created_at) or "",
            approved_at=rfc3339(payment.approved_at),
            decline_code=payment.decline_code.value if payment.decline_code else None,
            message=payment.decline_message,
            cancelled_at=rfc3339(payment.cancelled_at),
            cancel_reason=payment.cancel_reason,
        )


class ErrorBody(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The provider's error format: a stable code, a human message, the offending parameter."""

    error: str
    message: str
    param: str | None = None


def rfc3339(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


# -- admin ----------------------------------------------------------------------------------


class FaultsBody(msgspec.Struct, kw_only=True):
    """Faults to put in force; an omitted field is off, so `{}` clears every fault."""

    latency_ms: Annotated[int, msgspec.Meta(ge=0, le=MAX_LATENCY_MS)] = 0
    latency_jitter_ms: Annotated[int, msgspec.Meta(ge=0, le=MAX_LATENCY_MS)] = 0
    error_rate: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.0
    max_concurrency: Annotated[int, msgspec.Meta(ge=1)] | None = None
    outage: bool = False
    charge_then_delay: bool = False

    def to_faults(self) -> Faults:
        return Faults(**msgspec.structs.asdict(self))

    @classmethod
    def of(cls, faults: Faults) -> FaultsBody:
        return cls(
            latency_ms=faults.latency_ms,
            latency_jitter_ms=faults.latency_jitter_ms,
            error_rate=faults.error_rate,
            max_concurrency=faults.max_concurrency,
            outage=faults.outage,
            charge_then_delay=faults.charge_then_delay,
        )


class RecordPaymentRequest(CreatePaymentRequest, kw_only=True):
    """Admin: create a payment with a chosen id and key (provider states of contract tests)."""

    idempotency_key: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    id: Annotated[str, msgspec.Meta(pattern=r"^pay_[0-9a-zA-Z_]{1,60}$")] | None = None


class PaymentList(msgspec.Struct, kw_only=True):
    items: list[PaymentBody]

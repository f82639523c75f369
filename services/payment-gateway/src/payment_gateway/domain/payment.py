"""A card payment at the provider: decided once (approved or declined), refundable once approved."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class PaymentStatus(StrEnum):
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"


class DeclineCode(StrEnum):
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"


# Test cards, as documented in API.md: every other 16-digit number is approved.
DECLINING_CARD_ENDINGS: dict[str, DeclineCode] = {
    "0002": DeclineCode.INSUFFICIENT_FUNDS,
    "0069": DeclineCode.EXPIRED_CARD,
}

DECLINE_MESSAGES: dict[DeclineCode, str] = {
    DeclineCode.INSUFFICIENT_FUNDS: "The card has insufficient funds.",
    DeclineCode.EXPIRED_CARD: "The card has expired.",
}


def decide(card_number: str) -> DeclineCode | None:
    """The issuer's answer for a card: None approves, a code declines."""
    return DECLINING_CARD_ENDINGS.get(card_number[-4:])


@dataclass(frozen=True)
class PaymentRequest:
    """What a merchant asks to charge; identical requests share one fingerprint."""

    idempotency_key: str
    amount: int
    currency: str
    card_number: str
    order_id: str
    description: str | None = None

    def fingerprint(self) -> str:
        """Stable digest of the request body, kept instead of the card number itself."""
        canonical = json.dumps(
            [self.amount, self.currency, self.card_number, self.order_id, self.description],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


class CancelOutcome(StrEnum):
    CANCELLED = "cancelled"
    ALREADY_CANCELLED = "already_cancelled"
    NOT_CANCELLABLE = "not_cancellable"


@dataclass(frozen=True)
class Payment:
    """One charge attempt. A declined payment charged nothing and can never be cancelled."""

    id: str
    idempotency_key: str
    fingerprint: str
    order_id: str
    amount: int
    currency: str
    card_last4: str
    description: str | None
    status: PaymentStatus
    created_at: datetime
    approved_at: datetime | None = None
    decline_code: DeclineCode | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None

    @classmethod
    def authorize(cls, payment_id: str, request: PaymentRequest, now: datetime) -> Payment:
        """Authorize and capture in one step, as the card rules decide."""
        decline = decide(request.card_number)
        return cls(
            id=payment_id,
            idempotency_key=request.idempotency_key,
            fingerprint=request.fingerprint(),
            order_id=request.order_id,
            amount=request.amount,
            currency=request.currency,
            card_last4=request.card_number[-4:],
            description=request.description,
            status=PaymentStatus.DECLINED if decline else PaymentStatus.APPROVED,
            created_at=now,
            approved_at=None if decline else now,
            decline_code=decline,
        )

    @property
    def decline_message(self) -> str | None:
        return DECLINE_MESSAGES[self.decline_code] if self.decline_code else None

    def matches(self, request: PaymentRequest) -> bool:
        """True when `request` is a repeat of the one that created this payment."""
        return self.fingerprint == request.fingerprint()

    def cancel(self, reason: str | None, now: datetime) -> tuple[Payment, CancelOutcome]:
        """Refund in full; cancelling twice changes nothing; a declined payment has nothing to refund."""
        if self.status is PaymentStatus.CANCELLED:
            return self, CancelOutcome.ALREADY_CANCELLED
        if self.status is PaymentStatus.DECLINED:
            return self, CancelOutcome.NOT_CANCELLABLE
        cancelled = replace(
            self, status=PaymentStatus.CANCELLED, cancelled_at=now, cancel_reason=reason
        )
        return cancelled, CancelOutcome.CANCELLED

"""The provider's card rules and a payment's lifecycle (domain only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from payment_gateway.domain.faults import Faults, InvalidFaults
from payment_gateway.domain.payment import (
    CancelOutcome,
    DeclineCode,
    Payment,
    PaymentRequest,
    PaymentStatus,
)

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
ORDER = "7b1d2f4e-3c59-4a53-8d0e-5b1f4f0a9c11"


def request(card: str = "4242424242424242", amount: int = 39_000, **changes: object) -> PaymentRequest:
    fields: dict[str, object] = {"idempotency_key": ORDER, "amount": amount, "currency": "KRW",
                                 "card_number": card, "order_id": ORDER,
                                 "description": "덤벨 10kg x1"}
    fields.update(changes)
    return PaymentRequest(**fields)  # type: ignore[arg-type]


def test_any_sixteen_digit_card_is_approved_and_captured_at_once() -> None:
    payment = Payment.authorize("pay_1", request(), NOW)
    assert payment.status is PaymentStatus.APPROVED
    assert payment.approved_at == NOW
    assert payment.decline_code is None and payment.decline_message is None


@pytest.mark.parametrize(
    ("card", "code"),
    [("4000000000000002", DeclineCode.INSUFFICIENT_FUNDS),
     ("4000000000000069", DeclineCode.EXPIRED_CARD)],
)
def test_cards_ending_0002_and_0069_are_declined_with_their_reason(card: str, code: DeclineCode) -> None:
    payment = Payment.authorize("pay_1", request(card), NOW)
    assert payment.status is PaymentStatus.DECLINED
    assert payment.decline_code is code
    assert payment.approved_at is None
    assert payment.decline_message


def test_a_payment_keeps_only_the_last_four_digits_of_the_card() -> None:
    payment = Payment.authorize("pay_1", request("5555444433331111"), NOW)
    assert payment.card_last4 == "1111"
    assert "5555444433331111" not in repr(payment)


def test_identical_requests_share_a_fingerprint_and_any_difference_changes_it() -> None:
    assert request().fingerprint() == request().fingerprint()
    assert request().fingerprint() != request(amount=39_001).fingerprint()
    assert request().fingerprint() != request(card="4242424242424243").fingerprint()
    assert request().fingerprint() != request(description=None).fingerprint()
    payment = Payment.authorize("pay_1", request(), NOW)
    assert payment.matches(request())
    assert not payment.matches(request(amount=1))


def test_cancelling_an_approved_payment_refunds_it_with_the_reason() -> None:
    payment = Payment.authorize("pay_1", request(), NOW)
    later = NOW + timedelta(minutes=5)
    cancelled, outcome = payment.cancel("customer changed their mind", later)
    assert outcome is CancelOutcome.CANCELLED
    assert cancelled.status is PaymentStatus.CANCELLED
    assert cancelled.cancelled_at == later
    assert cancelled.cancel_reason == "customer changed their mind"


def test_cancelling_twice_changes_nothing_the_second_time() -> None:
    cancelled, _ = Payment.authorize("pay_1", request(), NOW).cancel(None, NOW)
    again, outcome = cancelled.cancel("again", NOW + timedelta(hours=1))
    assert outcome is CancelOutcome.ALREADY_CANCELLED
    assert again == cancelled


def test_a_declined_payment_cannot_be_cancelled() -> None:
    declined = Payment.authorize("pay_1", request("4000000000000002"), NOW)
    same, outcome = declined.cancel(None, NOW)
    assert outcome is CancelOutcome.NOT_CANCELLABLE
    assert same.status is PaymentStatus.DECLINED


def test_the_default_faults_are_a_healthy_provider() -> None:
    faults = Faults()
    assert (faults.latency_ms, faults.error_rate, faults.max_concurrency, faults.outage) == (0, 0.0, None, False)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"latency_ms": -1}, "latency_ms"),
     ({"latency_jitter_ms": 120_001}, "latency_jitter_ms"),
     ({"error_rate": 1.5}, "error_rate"),
     ({"error_rate": -0.1}, "error_rate"),
     ({"max_concurrency": 0}, "max_concurrency")],
)
def test_faults_out_of_range_are_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidFaults) as refused:
        Faults(**changes)  # type: ignore[arg-type]
    assert refused.value.field == field

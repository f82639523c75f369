"""The HTTP PaymentGateway adapter against the real payment-provider mock."""

from __future__ import annotations

import uuid

from orders.adapters.payment_client import GatewayConfig, HttpPaymentGateway
from orders.application.ports import (
    Approved,
    ChargeRequest,
    Declined,
    NotFound,
    Refunded,
    RefundRefused,
    Unavailable,
)
from orders.domain.money import Money
from orders.domain.order import PaymentStatus
from tests.integration.orders.served import PaymentMock, free_port


def gateway(mock: PaymentMock, **config: object) -> HttpPaymentGateway:
    settings = {"timeout_seconds": 0.5, "breaker_failures": 3, "breaker_recovery_seconds": 1.0,
                **config}
    return HttpPaymentGateway(GatewayConfig(base_url=mock.url, **settings))  # type: ignore[arg-type]


def charge(card: str = "4242424242424242", amount: int = 35_000) -> ChargeRequest:
    order_id = str(uuid.uuid4())
    return ChargeRequest(order_id, Money(amount), card, f"fitshop order {order_id}")


async def test_an_approved_charge_is_found_by_its_key_and_refunded_once(
        payment_mock: PaymentMock) -> None:
    client = gateway(payment_mock)
    request = charge()
    outcome = await client.charge(request)
    assert isinstance(outcome, Approved)
    assert outcome.payment.amount == Money(35_000) and outcome.payment.card_last4 == "4242"
    again = await client.charge(request)  # same key, same body: the same payment
    assert isinstance(again, Approved) and again.payment.id == outcome.payment.id
    found = await client.find(request.order_id)
    assert isinstance(found, Approved) and found.payment.id == outcome.payment.id
    refunded = await client.refund(outcome.payment.id, "customer cancelled")
    assert isinstance(refunded, Refunded) and refunded.payment.status is PaymentStatus.CANCELLED
    assert isinstance(await client.refund(outcome.payment.id, None), Refunded)  # idempotent
    assert isinstance(await client.find(request.order_id), Refunded)
    assert [p["status"] for p in payment_mock.payments(request.order_id)] == ["CANCELLED"]
    await client.aclose()


async def test_declines_are_outcomes_not_failures(payment_mock: PaymentMock) -> None:
    client = gateway(payment_mock, breaker_failures=1)
    for card, code in (("4000000000000002", "insufficient_funds"), ("4000000000000069", "expired_card")):
        outcome = await client.charge(charge(card))
        assert isinstance(outcome, Declined) and outcome.payment.decline_code == code
    assert client.breaker.closed  # a decline is the provider working, not failing
    declined = await client.charge(charge("4000000000000002"))
    assert isinstance(declined, Declined)
    assert isinstance(await client.refund(declined.payment.id, None), RefundRefused)
    await client.aclose()


async def test_an_unknown_key_is_not_found(payment_mock: PaymentMock) -> None:
    client = gateway(payment_mock)
    assert isinstance(await client.find(str(uuid.uuid4())), NotFound)
    await client.aclose()


async def test_an_overloaded_provider_is_unavailable_with_its_retry_after(
        payment_mock: PaymentMock) -> None:
    client = gateway(payment_mock)
    payment_mock.set_faults(outage=True)
    outcome = await client.charge(charge())
    assert isinstance(outcome, Unavailable) and not outcome.outcome_unknown
    assert outcome.retry_after >= 1
    await client.aclose()


async def test_injected_500s_are_retried_with_the_same_key_without_charging_twice(
        payment_mock: PaymentMock) -> None:
    client = gateway(payment_mock, attempts=2)
    payment_mock.set_faults(error_rate=1.0)
    request = charge()
    outcome = await client.charge(request)
    assert isinstance(outcome, Unavailable) and outcome.outcome_unknown
    payment_mock.set_faults()
    assert isinstance(await client.charge(request), Approved)
    assert len(payment_mock.payments(request.order_id)) == 1
    await client.aclose()


async def test_a_read_timeout_after_the_charge_is_an_unknown_outcome(payment_mock: PaymentMock) -> None:
    client = gateway(payment_mock, timeout_seconds=0.2)
    payment_mock.set_faults(latency_ms=600, charge_then_delay=True)
    request = charge()
    outcome = await client.charge(request)
    assert isinstance(outcome, Unavailable) and outcome.outcome_unknown
    payment_mock.set_faults()
    found = await client.find(request.order_id)
    assert isinstance(found, Approved)  # it did charge: the reconciler will learn it this way
    await client.aclose()


async def test_nothing_listening_means_nothing_was_sent() -> None:
    client = HttpPaymentGateway(GatewayConfig(base_url=f"http://127.0.0.1:{free_port()}"))
    outcome = await client.charge(charge())
    assert isinstance(outcome, Unavailable) and not outcome.outcome_unknown
    await client.aclose()

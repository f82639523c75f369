"""Consumer-driven contract orders → payment-gateway (Pact V4): what our HTTP adapter relies on.

The interactions are exercised through the real `HttpPaymentGateway` against Pact's mock
server; the pact file lands in tests/contract/pacts/ and the payment-gateway side verifies it
against the real mock (tests/contract/payment_gateway). Provider state names and parameters
follow tests/contract/payment_gateway/provider_states.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from pact import Pact, match

from orders.adapters.payment_client import GatewayConfig, HttpPaymentGateway
from orders.application.ports import (
    Approved,
    ChargeRequest,
    Declined,
    NotFound,
    Refunded,
    Unavailable,
)
from orders.domain.money import Money
from orders.domain.order import PaymentStatus

PACTS = Path(__file__).resolve().parents[1] / "pacts"
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
PAYMENT_ID = r"^pay_[0-9a-zA-Z_]+$"

NEW_ORDER = "3f0c7a9e-1d2b-4c5e-9f80-112233445566"
POOR_ORDER = "3f0c7a9e-1d2b-4c5e-9f80-112233445567"
BUSY_ORDER = "3f0c7a9e-1d2b-4c5e-9f80-112233445568"
CHARGED_ORDER = "7b1d2f4e-3c59-4a53-8d0e-5b1f4f0a9c11"
CHARGED_PAYMENT = "pay_0123456789abcdef01234567"


def charge_body(order_id: str, card: str, amount: int = 39_000) -> dict[str, object]:
    # card and order id are literal: they tell the three charge interactions apart
    return {"amount": match.integer(amount), "currency": "KRW", "card_number": card,
            "order_id": order_id, "description": match.string(f"fitshop order {order_id}")}


def approved_payment(order_id: str, payment_id: str = "pay_3a9f0c2e7d1b4a5c6e8f9a0b",
                     status: str = "APPROVED", amount: int = 39_000) -> dict[str, object]:
    return {"id": match.regex(payment_id, regex=PAYMENT_ID), "status": status,
            "amount": match.integer(amount), "currency": "KRW",
            "idempotency_key": match.string(order_id), "order_id": match.string(order_id),
            "card_last4": match.regex("4242", regex=r"^[0-9]{4}$")}


def define(pact: Pact) -> None:
    (pact.upon_receiving("a charge on an approved card")
        .given("the provider accepts payments")
        .with_request("POST", "/v1/payments")
        .with_header("Idempotency-Key", NEW_ORDER)
        .with_body(charge_body(NEW_ORDER, "4242424242424242"), "application/json")
        .will_respond_with(201)
        .with_body(approved_payment(NEW_ORDER), "application/json"))

    (pact.upon_receiving("a charge on a card with insufficient funds")
        .given("the provider accepts payments")
        .with_request("POST", "/v1/payments")
        .with_header("Idempotency-Key", POOR_ORDER)
        .with_body(charge_body(POOR_ORDER, "4000000000000002"), "application/json")
        .will_respond_with(402)
        .with_body({"id": match.regex("pay_5b0e1f2a3c4d5e6f7a8b9c0d", regex=PAYMENT_ID),
                    "status": "DECLINED", "amount": match.integer(39_000), "currency": "KRW",
                    "decline_code": "insufficient_funds",
                    "message": match.string("Insufficient funds.")}, "application/json"))

    (pact.upon_receiving("a charge while the provider is overloaded")
        .given("the provider is overloaded")
        .with_request("POST", "/v1/payments")
        .with_header("Idempotency-Key", BUSY_ORDER)
        .with_body(charge_body(BUSY_ORDER, "4242424242424242"), "application/json")
        .will_respond_with(503)
        .with_header("Retry-After", match.regex("1", regex=r"^[0-9]+$"))
        .with_body({"error": "overloaded"}, "application/json"))

    (pact.upon_receiving("a lookup by the idempotency key of a charged order")
        .given("an approved payment exists",
               {"order_id": CHARGED_ORDER, "payment_id": CHARGED_PAYMENT, "amount": 39_000})
        .with_request("GET", "/v1/payments")
        .with_query_parameter("idempotency_key", CHARGED_ORDER)
        .will_respond_with(200)
        .with_body(approved_payment(CHARGED_ORDER, CHARGED_PAYMENT), "application/json"))

    (pact.upon_receiving("a lookup by the idempotency key of an order never charged")
        .given("no payment is stored")
        .with_request("GET", "/v1/payments")
        .with_query_parameter("idempotency_key", NEW_ORDER)
        .will_respond_with(404))

    (pact.upon_receiving("a refund of an approved payment")
        .given("an approved payment exists",
               {"order_id": CHARGED_ORDER, "payment_id": CHARGED_PAYMENT, "amount": 39_000})
        .with_request("POST", f"/v1/payments/{CHARGED_PAYMENT}/cancel")
        .with_body({"reason": match.string("customer cancelled")}, "application/json")
        .will_respond_with(200)
        .with_body(approved_payment(CHARGED_ORDER, CHARGED_PAYMENT, status="CANCELLED"),
                   "application/json"))


def charge(order_id: str, card: str) -> ChargeRequest:
    return ChargeRequest(order_id, Money(39_000), card, f"fitshop order {order_id}")


async def test_orders_consumer_pact_with_the_payment_gateway() -> None:
    pact = Pact("orders", "payment-gateway").with_specification("V4")
    define(pact)
    with pact.serve() as server:
        # attempts=1: every interaction is sent once, as Pact expects
        gateway = HttpPaymentGateway(GatewayConfig(base_url=str(server.url).rstrip("/"),
                                                   attempts=1))
        approved = await gateway.charge(charge(NEW_ORDER, "4242424242424242"))
        declined = await gateway.charge(charge(POOR_ORDER, "4000000000000002"))
        busy = await gateway.charge(charge(BUSY_ORDER, "4242424242424242"))
        found = await gateway.find(CHARGED_ORDER)
        missing = await gateway.find(NEW_ORDER)
        refunded = await gateway.refund(CHARGED_PAYMENT, "customer cancelled")
        await gateway.aclose()

    assert isinstance(approved, Approved) and approved.payment.amount == Money(39_000)
    assert isinstance(declined, Declined) and declined.payment.decline_code == "insufficient_funds"
    assert isinstance(busy, Unavailable) and not busy.outcome_unknown and busy.retry_after == 1
    assert isinstance(found, Approved) and found.payment.id == CHARGED_PAYMENT
    assert isinstance(missing, NotFound)
    assert isinstance(refunded, Refunded) and refunded.payment.status is PaymentStatus.CANCELLED

    pact.write_file(PACTS, overwrite=True)
    written = json.loads((PACTS / "orders-payment-gateway.json").read_text())
    assert len(written["interactions"]) == 6

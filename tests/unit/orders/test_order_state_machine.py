"""The Order aggregate and its state machine (DESIGN §3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orders.domain.events import OrderCancelled, OrderPlaced
from orders.domain.money import Money
from orders.domain.order import (
    CancelDecision,
    DeliveryStatus,
    DeliveryUpdate,
    InvalidTransition,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    ShippingAddress,
)

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
HOME = ShippingAddress("Kim Minji", "12 Teheran-ro", "Seoul", "06236", "010-1234-5678")


def new_order() -> Order:
    return Order.start(
        order_id="order-1", customer_id="alice", customer_email="alice@example.com",
        lines=[OrderLine("dumbbell", "Dumbbell 10 kg", Money(35_000), 2),
               OrderLine("mat", "Yoga mat 6 mm", Money(19_900), 1)],
        shipping_address=HOME, at=T0)


def approved(order: Order, amount: Money | None = None) -> Payment:
    return Payment("pay_1", PaymentStatus.APPROVED, amount or order.total, card_last4="4242")


def placed_order() -> Order:
    order = new_order()
    order.record_approved_payment(approved(order), T0 + timedelta(seconds=1))
    order.events.clear()
    return order


def test_a_new_order_awaits_payment_and_totals_its_lines() -> None:
    order = new_order()
    assert order.status is OrderStatus.PAYMENT_PENDING
    assert order.total == Money(89_900)
    assert order.version == 1
    assert order.awaits_payment
    assert order.events == []


def test_an_order_needs_at_least_one_line() -> None:
    with pytest.raises(ValueError, match="at least one line"):
        Order.start(order_id="o", customer_id="alice", lines=[], shipping_address=HOME, at=T0)


def test_an_approved_payment_places_the_order_and_records_order_placed() -> None:
    order = new_order()
    order.record_approved_payment(approved(order), T0 + timedelta(seconds=1))
    assert order.status is OrderStatus.PLACED
    assert order.version == 2
    assert order.payment is not None and order.payment.status is PaymentStatus.APPROVED
    [event] = order.events
    assert isinstance(event, OrderPlaced)
    assert event.order.order_version == 2 and event.order.total == Money(89_900)


def test_a_payment_of_another_amount_cannot_place_the_order() -> None:
    order = new_order()
    wrong = approved(order, Money(1))
    assert not order.can_accept(wrong)
    with pytest.raises(InvalidTransition):
        order.record_approved_payment(wrong, T0)
    assert order.status is OrderStatus.PAYMENT_PENDING and order.events == []


def test_a_declined_card_leaves_a_declined_order_and_no_event() -> None:
    order = new_order()
    declined = Payment("pay_2", PaymentStatus.DECLINED, order.total, decline_code="expired_card")
    order.record_declined_payment(declined, T0)
    assert order.status is OrderStatus.PAYMENT_DECLINED
    assert order.events == []
    assert not order.awaits_payment
    assert order.cancellation() is CancelDecision.REFUSED_NOT_PLACED


def test_busy_payment_with_unknown_outcome_still_awaits_its_outcome() -> None:
    order = new_order()
    order.record_payment_unavailable(outcome_unknown=True, at=T0)
    assert order.status is OrderStatus.PAYMENT_UNAVAILABLE
    assert order.awaits_payment  # the reconciler will settle it
    order.record_approved_payment(approved(order), T0 + timedelta(seconds=5))
    assert order.status is OrderStatus.PLACED


def test_busy_payment_with_nothing_charged_is_settled_but_may_be_retried() -> None:
    order = new_order()
    order.record_payment_unavailable(outcome_unknown=False, at=T0)
    assert not order.awaits_payment
    assert not order.can_accept(approved(order))  # a late charge is refunded, not taken
    assert order.can_retry_payment
    order.retry_payment(T0 + timedelta(seconds=3))
    assert order.status is OrderStatus.PAYMENT_PENDING


def test_a_placed_order_cannot_be_paid_again() -> None:
    order = placed_order()
    with pytest.raises(InvalidTransition):
        order.record_approved_payment(approved(order), T0)
    with pytest.raises(InvalidTransition):
        order.record_payment_unavailable(outcome_unknown=False, at=T0)
    with pytest.raises(InvalidTransition):
        order.retry_payment(T0)


def test_cancelling_a_placed_order_refunds_it_and_records_order_cancelled() -> None:
    order = placed_order()
    assert order.cancellation() is CancelDecision.REFUND_THEN_CANCEL
    refund = Payment("pay_1", PaymentStatus.CANCELLED, order.total)
    order.cancel(refund, "changed my mind", T0 + timedelta(minutes=1))
    assert order.status is OrderStatus.CANCELLED
    assert order.payment == refund
    [event] = order.events
    assert isinstance(event, OrderCancelled) and event.reason == "changed my mind"
    assert event.order.order_version == 3
    assert order.cancellation() is CancelDecision.ALREADY_CANCELLED


def test_cancelling_a_delivered_order_is_refused() -> None:
    order = placed_order()
    order.follow_delivery(DeliveryStatus.DELIVERED, 4, T0)
    assert order.cancellation() is CancelDecision.REFUSED_DELIVERED
    with pytest.raises(InvalidTransition):
        order.cancel(Payment("pay_1", PaymentStatus.CANCELLED, order.total), None, T0)


@pytest.mark.parametrize("delivery", [DeliveryStatus.STARTED, DeliveryStatus.IN_TRANSIT])
def test_an_order_being_delivered_can_still_be_cancelled(delivery: DeliveryStatus) -> None:
    order = placed_order()
    order.follow_delivery(delivery, 2, T0)
    assert order.cancellation() is CancelDecision.REFUND_THEN_CANCEL


def test_an_order_still_awaiting_payment_cannot_be_cancelled_yet() -> None:
    assert new_order().cancellation() is CancelDecision.REFUSED_PAYMENT_IN_PROGRESS


def test_a_refund_of_another_payment_cannot_cancel() -> None:
    order = placed_order()
    with pytest.raises(InvalidTransition):
        order.cancel(Payment("pay_other", PaymentStatus.CANCELLED, order.total), None, T0)


def test_delivery_news_moves_the_order_forward_through_fulfilment() -> None:
    order = placed_order()
    steps = [(DeliveryStatus.REQUESTED, OrderStatus.PLACED),
             (DeliveryStatus.STARTED, OrderStatus.PREPARING),
             (DeliveryStatus.IN_TRANSIT, OrderStatus.SHIPPING),
             (DeliveryStatus.DELIVERED, OrderStatus.DELIVERED)]
    for version, (delivery, expected) in enumerate(steps, start=1):
        assert order.follow_delivery(delivery, version, T0) is DeliveryUpdate.APPLIED
        assert order.status is expected
        assert order.delivery_status is delivery
    assert order.version == 5  # placed (2), preparing, shipping, delivered


def test_old_or_repeated_delivery_news_never_moves_an_order_backwards() -> None:
    order = placed_order()
    order.follow_delivery(DeliveryStatus.IN_TRANSIT, 3, T0)
    assert order.follow_delivery(DeliveryStatus.STARTED, 2, T0) is DeliveryUpdate.STALE
    assert order.follow_delivery(DeliveryStatus.IN_TRANSIT, 3, T0) is DeliveryUpdate.STALE
    assert order.status is OrderStatus.SHIPPING
    # even a higher version cannot lower the status (a bug upstream must not regress us)
    assert order.follow_delivery(DeliveryStatus.STARTED, 9, T0) is DeliveryUpdate.APPLIED
    assert order.status is OrderStatus.SHIPPING


def test_a_cancelled_order_ignores_delivery_news() -> None:
    order = placed_order()
    order.cancel(Payment("pay_1", PaymentStatus.CANCELLED, order.total), None, T0)
    assert order.follow_delivery(DeliveryStatus.DELIVERED, 7, T0) is DeliveryUpdate.IGNORED
    assert order.status is OrderStatus.CANCELLED


def test_an_unpaid_order_ignores_delivery_news() -> None:
    order = new_order()
    assert order.follow_delivery(DeliveryStatus.STARTED, 1, T0) is DeliveryUpdate.IGNORED
    assert order.status is OrderStatus.PAYMENT_PENDING

"""The projection rules of OrderStatusView: status mapping, version guard, how the parts merge."""

from __future__ import annotations

import pytest

from order_view.domain.view import (
    DeliveryPart,
    DeliveryStatus,
    Line,
    Money,
    OrderPart,
    PaymentStatus,
    ViewStatus,
    compose,
    payment_after_cancel,
    supersedes,
    view_status,
)

ORDER_ID = "5b1c0d43-8a4e-4c1e-9d55-2f0f5f1f0001"
KRW = Money(amount=50000, currency="KRW")
DUMBBELL = Line(product_id="5b1c0d43-8a4e-4c1e-9d55-2f0f5f1f0d0b", name="DUMBBELL-10KG",
                unit_price=Money(amount=25000, currency="KRW"), quantity=2)


def order(*, cancelled: bool = False, version: int = 1, changed_at: str = "2026-03-02T09:00:00Z",
          payment: PaymentStatus = PaymentStatus.APPROVED) -> OrderPart:
    return OrderPart(order_id=ORDER_ID, customer_id="alice", version=version, cancelled=cancelled,
                     payment_status=payment, total=KRW, lines=(DUMBBELL,), changed_at=changed_at,
                     placed_at=None if cancelled else changed_at)


def delivery(status: DeliveryStatus, *, version: int = 1,
             changed_at: str = "2026-03-02T09:10:00Z") -> DeliveryPart:
    return DeliveryPart(delivery_id="d-1", order_id=ORDER_ID, customer_id="alice", status=status,
                        version=version, changed_at=changed_at)


def test_a_placed_order_without_news_from_the_seller_is_placed_with_no_delivery_status() -> None:
    view = compose(order(), None)
    assert view is not None
    assert (view.status, view.payment_status, view.delivery_status) == (
        ViewStatus.PLACED, PaymentStatus.APPROVED, None)


@pytest.mark.parametrize(("delivery_status", "expected"), [
    (DeliveryStatus.REQUESTED, ViewStatus.PLACED),
    (DeliveryStatus.STARTED, ViewStatus.PREPARING),
    (DeliveryStatus.IN_TRANSIT, ViewStatus.SHIPPING),
    (DeliveryStatus.DELIVERED, ViewStatus.DELIVERED),
    (DeliveryStatus.CANCELLED, ViewStatus.CANCELLED),
])
def test_the_delivery_status_decides_the_status_of_a_live_order(
    delivery_status: DeliveryStatus, expected: ViewStatus
) -> None:
    assert view_status(order(), delivery(delivery_status)) == expected


@pytest.mark.parametrize("delivery_status", [None, *DeliveryStatus])
def test_a_cancelled_order_is_cancelled_whatever_the_delivery_says(
    delivery_status: DeliveryStatus | None,
) -> None:
    part = delivery(delivery_status) if delivery_status else None
    assert view_status(order(cancelled=True, version=2), part) == ViewStatus.CANCELLED


def test_a_refunded_cancellation_shows_the_payment_as_refunded() -> None:
    assert payment_after_cancel("REFUNDED") == PaymentStatus.REFUNDED
    assert payment_after_cancel("APPROVED") == PaymentStatus.REFUNDED  # the refund was approved
    assert payment_after_cancel("CANCELLED") == PaymentStatus.REFUNDED  # the provider's word for it


def test_only_a_strictly_newer_version_supersedes_a_part() -> None:
    assert supersedes(1, None)
    assert supersedes(3, 2)
    assert not supersedes(2, 2)  # the same version again: a duplicate
    assert not supersedes(1, 2)  # an older version arriving late


def test_delivery_news_alone_is_not_a_view_yet() -> None:
    assert compose(None, delivery(DeliveryStatus.STARTED)) is None


def test_updated_at_is_the_latest_change_of_either_part_compared_as_instants() -> None:
    # "…:00Z" sorts after "…:00.500Z" as text, but is the earlier instant.
    earlier = order(changed_at="2026-03-02T09:00:00Z")
    later = delivery(DeliveryStatus.STARTED, changed_at="2026-03-02T09:00:00.500Z")
    view = compose(earlier, later)
    assert view is not None and view.updated_at == "2026-03-02T09:00:00.500Z"

    stale_delivery = delivery(DeliveryStatus.REQUESTED, changed_at="2026-03-02T08:59:59Z")
    view = compose(earlier, stale_delivery)
    assert view is not None and view.updated_at == "2026-03-02T09:00:00Z"


def test_the_view_carries_the_order_s_lines_and_total() -> None:
    view = compose(order(), delivery(DeliveryStatus.REQUESTED))
    assert view is not None
    assert view.order_id == ORDER_ID and view.total == KRW and view.lines == (DUMBBELL,)

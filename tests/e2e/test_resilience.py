"""The non-functional promises, through the gateway: ordering survives downstream outages and
payment overload, and every event is processed once when the stopped services come back."""

from __future__ import annotations

import httpx2

from tests.e2e.client import Shopper
from tests.e2e.conftest import Shop, eventually
from tests.e2e.test_user_stories import (
    delivery_of,
    new_product,
    notifications,
    orderable,
    place,
    view,
)


def test_orders_are_accepted_while_catalog_delivery_notification_and_view_are_down(
    shop: Shop, seller: Shopper, alice: Shopper
) -> None:
    product = new_product(seller, stock=100)
    orderable(alice, product)
    downstream = ["catalog", "delivery", "notification", "order-view"]
    for name in downstream:
        shop.stop(name)
    try:
        placed = [place(alice, product["id"]) for _ in range(5)]
    finally:
        for name in downstream:
            shop.start(name)
    assert [r.status_code for r in placed] == [201] * 5
    for response in placed:
        order_id = response.json()["id"]
        eventually(lambda order_id=order_id: delivery_of(seller, order_id))
        eventually(lambda order_id=order_id: view(alice, order_id))
        receipts = eventually(
            lambda order_id=order_id: [
                n for n in notifications(alice, order_id) if n["kind"] == "PURCHASE_RECEIPT"
            ]
        )
        assert len(receipts) == 1  # caught up, none twice


def placed_count(customer: Shopper) -> int:
    orders = customer.http.get("/api/v1/orders", params={"limit": 200}).json()["items"]
    return sum(o["status"] == "PLACED" for o in orders)


def test_payment_outage_answers_503_with_retry_after_and_places_nothing(
    shop: Shop, seller: Shopper, bob: Shopper
) -> None:
    product = new_product(seller)
    orderable(bob, product)
    before = placed_count(bob)
    httpx2.put(f"{shop.payment_admin}/admin/faults", json={"outage": True}).raise_for_status()
    try:
        busy = [place(bob, product["id"]) for _ in range(3)]
    finally:
        httpx2.put(f"{shop.payment_admin}/admin/faults", json={}).raise_for_status()
    for response in busy:
        assert response.status_code == 503
        assert int(response.headers["retry-after"]) > 0
        assert response.headers["content-type"] == "application/problem+json"
    assert placed_count(bob) == before
    # Once the provider is back (and the breaker half-opens), ordering works again.
    eventually(lambda: place(bob, product["id"]).status_code == 201, timeout=60, interval=1)
    assert placed_count(bob) == before + 1

"""The nine user stories of DESIGN §1, end to end through the gateway of a running local stack."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2

from tests.e2e.client import ADDRESS, Shopper, card
from tests.e2e.conftest import Shop, eventually


def new_product(seller: Shopper, *, stock: int = 50, price: int = 32000) -> dict[str, Any]:
    sku = f"KETTLEBELL-{uuid.uuid4().hex[:6].upper()}"
    response = seller.http.post(
        "/api/v1/products",
        json={
            "sku": sku,
            "name": "케틀벨 12kg",
            "description": "주물 케틀벨",
            "category": "weights",
            "price": {"amount": price, "currency": "KRW"},
            "stock": stock,
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def place(
    customer: Shopper,
    product_id: str,
    *,
    quantity: int = 1,
    ending: str = "1111",
    key: str | None = None,
) -> httpx2.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return customer.http.post(
        "/api/v1/orders",
        headers=headers,
        json={
            "lines": [{"product_id": product_id, "quantity": quantity}],
            "shipping_address": ADDRESS,
            "payment": card(ending),
        },
    )


def orderable(customer: Shopper, product: dict[str, Any]) -> dict[str, Any]:
    """Place an order once the orders service's replica has learnt the product (eventual)."""

    def attempt() -> dict[str, Any] | None:
        response = place(customer, product["id"])
        if response.status_code == 409:  # the catalog event has not reached orders yet
            return None
        assert response.status_code == 201, response.text
        return dict(response.json())

    return eventually(attempt)


def view(customer: Shopper, order_id: str) -> dict[str, Any] | None:
    response = customer.http.get(f"/api/v1/my-orders/{order_id}")
    return dict(response.json()) if response.status_code == 200 else None


def notifications(customer: Shopper, order_id: str) -> list[dict[str, Any]]:
    items = customer.http.get("/api/v1/notifications", params={"limit": 200}).json()["items"]
    return [n for n in items if n["order_id"] == order_id]


def delivery_of(seller: Shopper, order_id: str) -> dict[str, Any] | None:
    for status in ("REQUESTED", "STARTED", "IN_TRANSIT", "DELIVERED", "CANCELLED"):
        cursor = None
        while True:
            params: dict[str, Any] = {"status": status, "limit": 200}
            if cursor:
                params["cursor"] = cursor
            page = seller.http.get("/api/v1/deliveries", params=params).json()
            for item in page["items"]:
                if item["order_id"] == order_id:
                    return dict(item)
            cursor = page.get("next_cursor")
            if not cursor:
                break
    return None


def test_1_the_owner_registers_updates_and_deletes_products(
    seller: Shopper, alice: Shopper, anonymous: httpx2.Client
) -> None:
    product = new_product(seller)
    assert anonymous.get(f"/api/v1/products/{product['id']}").status_code == 200

    stale = seller.http.patch(
        f"/api/v1/products/{product['id']}",
        json={"version": product["version"] + 7, "price": {"amount": 1, "currency": "KRW"}},
    )
    assert stale.status_code == 409
    updated = seller.http.patch(
        f"/api/v1/products/{product['id']}",
        json={"version": product["version"], "price": {"amount": 30000, "currency": "KRW"}},
    )
    assert updated.status_code == 200 and updated.json()["price"]["amount"] == 30000

    assert alice.http.post("/api/v1/products", json={}).status_code == 403  # customers don't sell
    assert anonymous.delete(f"/api/v1/products/{product['id']}").status_code == 401
    assert seller.http.delete(f"/api/v1/products/{product['id']}").status_code == 204
    assert anonymous.get(f"/api/v1/products/{product['id']}").status_code == 404


def test_2_to_5_a_paid_order_reaches_the_seller_and_the_customer_gets_a_receipt(
    shop: Shop, seller: Shopper, alice: Shopper
) -> None:
    product = new_product(seller)
    order = orderable(alice, product)  # story 2 and 3
    assert order["status"] == "PLACED" and order["payment"]["status"] == "APPROVED"
    assert order["total"] == {"amount": product["price"]["amount"], "currency": "KRW"}

    receipts = eventually(
        lambda: [n for n in notifications(alice, order["id"]) if n["kind"] == "PURCHASE_RECEIPT"]
    )  # story 4
    assert len(receipts) == 1
    mails = eventually(lambda: shop.mails_about(order["id"]))
    assert [m["To"] for m in mails] == ["alice@fitshop.test"]  # one e-mail receipt too

    delivery = eventually(lambda: delivery_of(seller, order["id"]))  # story 5
    assert delivery["status"] == "REQUESTED"
    started = seller.http.post(f"/api/v1/deliveries/{delivery['id']}/start")
    assert started.status_code == 200 and started.json()["status"] == "STARTED"
    shown = eventually(
        lambda: (v := view(alice, order["id"])) and v["delivery_status"] == "STARTED" and v
    )
    assert shown["status"] == "PREPARING"


def test_a_declined_card_makes_no_order_and_charges_nothing(
    seller: Shopper, alice: Shopper
) -> None:
    product = new_product(seller)
    orderable(alice, product)  # the replica knows the product now
    declined = place(alice, product["id"], ending="0002")
    assert declined.status_code == 402
    assert declined.headers["content-type"] == "application/problem+json"
    placed = alice.http.get("/api/v1/orders", params={"limit": 200}).json()["items"]
    assert all(o["status"] != "PLACED" or o["payment"]["status"] == "APPROVED" for o in placed)


def test_6_to_8_cancelling_refunds_cancels_the_delivery_and_notifies(
    shop: Shop, seller: Shopper, alice: Shopper
) -> None:
    product = new_product(seller)
    order = orderable(alice, product)
    eventually(lambda: delivery_of(seller, order["id"]))

    cancelled = alice.http.post(f"/api/v1/orders/{order['id']}/cancel")  # story 6
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    again = alice.http.post(f"/api/v1/orders/{order['id']}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "CANCELLED"  # harmless repeat

    payments = httpx2.get(
        f"{shop.payment_admin}/admin/payments", params={"order_id": order["id"]}
    ).json()
    payments = payments["items"] if isinstance(payments, dict) else payments
    assert [p["status"] for p in payments] == ["CANCELLED"]  # refunded once
    delivery = eventually(
        lambda: (d := delivery_of(seller, order["id"])) and d["status"] == "CANCELLED" and d
    )
    assert delivery["status"] == "CANCELLED"  # story 7
    notices = eventually(
        lambda: [n for n in notifications(alice, order["id"]) if n["kind"] == "CANCELLATION"]
    )
    assert len(notices) == 1  # story 8
    shown = eventually(lambda: (v := view(alice, order["id"])) and v["status"] == "CANCELLED" and v)
    assert shown["payment_status"] == "REFUNDED"


def test_9_every_delivery_change_notifies_and_a_delivered_order_cannot_be_cancelled(
    seller: Shopper, alice: Shopper
) -> None:
    product = new_product(seller)
    order = orderable(alice, product)
    delivery = eventually(lambda: delivery_of(seller, order["id"]))
    assert seller.http.post(f"/api/v1/deliveries/{delivery['id']}/start").status_code == 200
    for status in ("IN_TRANSIT", "DELIVERED"):
        moved = seller.http.post(
            f"/api/v1/deliveries/{delivery['id']}/status", json={"status": status}
        )
        assert moved.status_code == 200 and moved.json()["status"] == status

    updates = eventually(
        lambda: (
            (u := [n for n in notifications(alice, order["id"]) if n["kind"] == "DELIVERY_UPDATE"])
            and len(u) >= 3
            and u
        )
    )
    assert len(updates) == 3  # started, in transit, delivered: one each
    eventually(
        lambda: alice.http.get(f"/api/v1/orders/{order['id']}").json()["status"] == "DELIVERED"
    )
    refused = alice.http.post(f"/api/v1/orders/{order['id']}/cancel")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    shown = eventually(lambda: (v := view(alice, order["id"])) and v["status"] == "DELIVERED" and v)
    assert shown["delivery_status"] == "DELIVERED"


def test_a_customer_never_sees_another_customers_order(
    seller: Shopper, alice: Shopper, bob: Shopper
) -> None:
    product = new_product(seller)
    order = orderable(alice, product)
    assert bob.http.get(f"/api/v1/orders/{order['id']}").status_code == 404
    assert bob.http.post(f"/api/v1/orders/{order['id']}/cancel").status_code == 404
    eventually(lambda: view(alice, order["id"]))
    assert bob.http.get(f"/api/v1/my-orders/{order['id']}").status_code == 404
    assert bob.http.get("/api/v1/deliveries").status_code == 403  # sellers only

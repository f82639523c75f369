"""helm test: one real round trip through the gateway, as a customer would make it.

token (client_credentials, client `loadgen`) -> a product in stock -> POST /api/v1/orders
(paid by card) -> the order appears in GET /api/v1/my-orders/{id} (the CQRS view, fed by
events). Exits non-zero with the step that failed."""

import os
import sys
import time
import uuid

import httpx2 as httpx

GATEWAY = os.environ["GATEWAY_URL"].rstrip("/")
DEADLINE = time.monotonic() + float(os.environ.get("TIMEOUT_SECONDS", "60"))


def fail(step: str, response: httpx.Response | None = None) -> None:
    detail = "" if response is None else f": HTTP {response.status_code} {response.text[:500]}"
    sys.exit(f"FAILED at {step}{detail}")


with httpx.Client(base_url=GATEWAY, timeout=10.0) as client:
    token_response = client.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": os.environ["LOADGEN_CLIENT_ID"],
            "client_secret": os.environ["LOADGEN_CLIENT_SECRET"],
        },
    )
    if token_response.status_code != 200:
        fail("token (client_credentials)", token_response)
    auth = {"Authorization": f"Bearer {token_response.json()['access_token']}"}
    print("1/4 token: ok", flush=True)

    products = client.get("/api/v1/products", params={"limit": 200})
    if products.status_code != 200:
        fail("list products", products)
    in_stock = [p for p in products.json()["items"] if p.get("stock", 0) > 0]
    if not in_stock:
        fail("list products (no product in stock: was the catalog seeded?)")
    product = in_stock[0]
    print(f"2/4 products: {len(in_stock)} in stock, ordering {product['sku']}", flush=True)

    order = client.post(
        "/api/v1/orders",
        headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
        json={
            "lines": [{"product_id": product["id"], "quantity": 1}],
            "shipping_address": {
                "recipient": "helm test",
                "line1": "1 Test Street",
                "city": "Seoul",
                "postal_code": "04524",
                "phone": "010-0000-0000",
            },
            "payment": {"method": "card", "card_number": os.environ["CARD_NUMBER"]},
        },
    )
    if order.status_code != 201 or order.json().get("status") != "PLACED":
        fail("place order", order)
    order_id = order.json()["id"]
    print(f"3/4 order {order_id}: PLACED", flush=True)

    while True:
        view = client.get(f"/api/v1/my-orders/{order_id}", headers=auth)
        if view.status_code == 200:
            print(f"4/4 my-orders: {view.json().get('status')}", flush=True)
            break
        if time.monotonic() > DEADLINE:
            fail("order in my-orders", view)
        time.sleep(1)

print("round trip through the gateway: ok")

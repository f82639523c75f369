"""Locust load of a customer shopping through the gateway (HPA and rollout demos, benchmarks).

Each simulated customer gets a token with the `loadgen` OAuth client (client_credentials; its
tokens carry the customer role), then lists products, places orders paid by card and reads
"my orders". At the end one line `AVAILABILITY {json}` reports requests, failures and the
availability ratio; with AVAILABILITY_STRICT=1 any failure makes locust exit non-zero.

    locust -f bench/locustfile.py --headless -u 20 -r 5 -t 5m --host http://127.0.0.1:8000

Environment: LOADGEN_CLIENT_SECRET (required; `make up` and the chart's NOTES print it),
LOADGEN_CLIENT_ID (default loadgen), CARD_NUMBER (default 4111111111111111, approved by the
mock), THINK_MIN / THINK_MAX seconds between a customer's actions (default 0.5 / 1.5).

A business answer is not a failure: 409 (out of stock, unknown product) and 402 (declined)
mean the shop served the request. 5xx, 429, timeouts and connection errors are failures.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from typing import Any

from locust import HttpUser, between, events, task

CLIENT_ID = os.environ.get("LOADGEN_CLIENT_ID", "loadgen")
CARD_NUMBER = os.environ.get("CARD_NUMBER", "4111111111111111")
SERVED = {200, 201, 402, 409}


class Customer(HttpUser):
    wait_time = between(float(os.environ.get("THINK_MIN", "0.5")),
                        float(os.environ.get("THINK_MAX", "1.5")))

    def on_start(self) -> None:
        self.token = ""
        self.token_expires = 0.0
        self.products: list[dict[str, Any]] = []
        self.authenticate()
        self.refresh_products()

    # -- helpers -----------------------------------------------------------------------------

    def authenticate(self) -> None:
        """client_credentials with the confidential `loadgen` client."""
        with self.client.post(
            "/auth/token",
            data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                  "client_secret": os.environ["LOADGEN_CLIENT_SECRET"]},
            name="POST /auth/token", catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"token: HTTP {response.status_code}")
                return
            body = response.json()
            self.token = body["access_token"]
            # Renew a minute early so no request ever carries an expired token.
            self.token_expires = time.monotonic() + float(body.get("expires_in", 300)) - 60

    def headers(self) -> dict[str, str]:
        if time.monotonic() >= self.token_expires:
            self.authenticate()
        return {"Authorization": f"Bearer {self.token}"}

    def refresh_products(self) -> None:
        with self.client.get("/api/v1/products", params={"limit": 50},
                             name="GET /api/v1/products", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"products: HTTP {response.status_code}")
                return
            self.products = [p for p in response.json()["items"] if p.get("stock", 0) > 0]

    # -- what a customer does --------------------------------------------------------------

    @task(1)
    def browse(self) -> None:
        self.refresh_products()

    @task(3)
    def place_order(self) -> None:
        if not self.products:
            self.refresh_products()
            return
        product = random.choice(self.products)
        with self.client.post(
            "/api/v1/orders",
            headers={**self.headers(), "Idempotency-Key": str(uuid.uuid4())},
            json={
                "lines": [{"product_id": product["id"], "quantity": 1}],
                "shipping_address": {"recipient": "Load Tester", "line1": "1 Bench Street",
                                     "city": "Seoul", "postal_code": "04524", "phone": "010-0000-0000"},
                "payment": {"method": "card", "card_number": CARD_NUMBER},
            },
            name="POST /api/v1/orders", catch_response=True,
        ) as response:
            if response.status_code in SERVED:
                response.success()
                if response.status_code == 409:
                    self.products.remove(product)  # sold out: stop choosing it
            else:
                response.failure(f"HTTP {response.status_code}")

    @task(2)
    def my_orders(self) -> None:
        with self.client.get("/api/v1/my-orders", headers=self.headers(),
                             name="GET /api/v1/my-orders", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


@events.quitting.add_listener
def report_availability(environment: Any, **_: Any) -> None:
    """One machine-readable line for deploy/rollout-demo.sh and the benchmarks."""
    total = environment.stats.total
    requests = total.num_requests  # failures included
    failures = total.num_failures
    report = {
        "requests": requests,
        "failures": failures,
        "availability": round(1 - failures / requests, 6) if requests else None,
        "rps": round(total.total_rps, 1),
        "p95_ms": total.get_response_time_percentile(0.95),
        "errors": {f"{e.method} {e.name}: {e.error}": e.occurrences
                   for e in environment.stats.errors.values()},
    }
    print("AVAILABILITY " + json.dumps(report, sort_keys=True), flush=True)
    if os.environ.get("AVAILABILITY_STRICT") == "1" and (failures or not requests):
        environment.process_exit_code = 1

"""Provider states of the payment-gateway pacts, set up through the mock's admin API.

Every setup starts from a clean provider (no payments, no faults), then does what the state
names, matched by keywords in this order (parameters are optional and override the defaults):

| state mentions                                   | provider is put in this state                  |
|--------------------------------------------------|------------------------------------------------|
| "no payment", "healthy", "accepts"               | nothing stored, no faults                      |
| "cancelled"/"refunded" payment                   | a payment approved, then cancelled             |
| "declined"                                       | a declined payment (card ending 0002)          |
| "outage", "down", "unavailable", "overload", "busy" | every call answers 503 overloaded           |
| "error", "failing"                               | every call answers 500                         |
| "slow", "latency"                                | `latency_ms` (default 3000) on every call      |
| "payment" with "exists"/"approved"/"charged"     | an approved payment                            |

Payment parameters: `payment_id` (or `id`), `idempotency_key` (default: the order id),
`order_id`, `amount`, `card_number`. An unknown state fails the verification loudly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2

DEFAULT_ORDER = "7b1d2f4e-3c59-4a53-8d0e-5b1f4f0a9c11"
DEFAULT_PAYMENT_ID = "pay_0123456789abcdef01234567"
APPROVED_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"

Setup = Callable[[dict[str, Any]], None]


class ProviderStates:
    """The function given to `Verifier.state_handler(..., teardown=True)`."""

    def __init__(self, public_url: str, admin_url: str) -> None:
        self._public = public_url
        self._admin = httpx2.Client(base_url=admin_url, timeout=5)
        self.seen: list[str] = []

    def __call__(self, state: str, action: str, parameters: dict[str, Any] | None) -> None:
        self._reset()
        if action == "teardown" or state == "":
            return
        self.seen.append(state)
        self._setup_for(state)(parameters or {})

    def close(self) -> None:
        self._admin.close()

    def _setup_for(self, state: str) -> Setup:
        wanted = state.lower()

        def mentions(*words: str) -> bool:
            return any(word in wanted for word in words)

        if mentions("no payment", "healthy", "accepts"):
            return lambda _: None
        if mentions("cancelled payment", "canceled payment", "refunded payment"):
            return self._cancelled_payment
        if mentions("declined"):
            return lambda params: self._record(params, DECLINED_CARD)
        if mentions("outage", "down", "unavailable", "overload", "busy"):
            return lambda params: self._faults({"outage": True, **params})
        if mentions("error", "failing"):
            return lambda params: self._faults({"error_rate": 1.0, **params})
        if mentions("slow", "latency"):
            return lambda params: self._faults({"latency_ms": int(params.get("latency_ms", 3000))})
        if mentions("payment") and mentions("exists", "approved", "charged"):
            return lambda params: self._record(params, APPROVED_CARD)
        raise LookupError(f"unknown provider state {state!r}: add it to {__name__}")

    def _reset(self) -> None:
        self._admin.put("/admin/faults", json={}).raise_for_status()
        self._admin.delete("/admin/payments").raise_for_status()

    def _faults(self, faults: dict[str, Any]) -> None:
        self._admin.put("/admin/faults", json=faults).raise_for_status()

    def _record(self, params: dict[str, Any], card: str) -> dict[str, Any]:
        order_id = str(params.get("order_id", DEFAULT_ORDER))
        body = {
            "id": str(params.get("payment_id", params.get("id", DEFAULT_PAYMENT_ID))),
            "idempotency_key": str(params.get("idempotency_key", order_id)),
            "order_id": order_id,
            "amount": int(params.get("amount", 39_000)),
            "currency": "KRW",
            "card_number": str(params.get("card_number", card)),
        }
        response = self._admin.post("/admin/payments", json=body)
        if response.status_code not in (201, 402):
            raise RuntimeError(f"could not record a payment for the state: {response.text}")
        return dict(response.json())

    def _cancelled_payment(self, params: dict[str, Any]) -> None:
        payment = self._record(params, APPROVED_CARD)
        # Cancelled the way a merchant would: through the public API.
        httpx2.post(f"{self._public}/v1/payments/{payment['id']}/cancel",
                    json={"reason": "provider state"}, timeout=5).raise_for_status()

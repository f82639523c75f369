"""The provider API over HTTP: status codes, bodies, idempotency, refunds and every bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from payment_gateway.entrypoints.http import create_app
from payment_gateway.settings import PaymentSettings

ORDER = "7b1d2f4e-3c59-4a53-8d0e-5b1f4f0a9c11"
PAYMENT_KEYS = {
    "id", "status", "amount", "currency", "idempotency_key", "order_id", "card_last4",
    "description", "created_at", "approved_at", "decline_code", "message", "cancelled_at",
    "cancel_reason",
}


def body(**changes: Any) -> dict[str, Any]:
    payment = {"amount": 39_000, "currency": "KRW", "card_number": "4242424242424242",
               "order_id": ORDER, "description": "덤벨 10kg x1"}
    payment.update(changes)
    return {k: v for k, v in payment.items() if v is not ...}


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(create_app(PaymentSettings())) as c:
        yield c


async def pay(client: AsyncTestClient[Any], key: str = ORDER, **changes: Any) -> Any:
    return await client.post("/v1/payments", json=body(**changes), headers={"Idempotency-Key": key})


async def test_an_approved_payment_answers_201_with_the_provider_shape(client: AsyncTestClient[Any]) -> None:
    response = await pay(client)
    assert response.status_code == 201
    payment = response.json()
    assert set(payment) == PAYMENT_KEYS
    assert payment["id"].startswith("pay_")
    assert payment["status"] == "APPROVED"
    assert (payment["amount"], payment["currency"], payment["card_last4"]) == (39_000, "KRW", "4242")
    assert payment["idempotency_key"] == ORDER and payment["order_id"] == ORDER
    assert payment["created_at"].endswith("Z") and payment["approved_at"] == payment["created_at"]
    assert "idempotent-replayed" not in response.headers


@pytest.mark.parametrize(("card", "code"), [("4000000000000002", "insufficient_funds"),
                                             ("4000000000000069", "expired_card")])
async def test_a_declined_card_answers_402_with_the_decline_code(
    client: AsyncTestClient[Any], card: str, code: str,
) -> None:
    response = await pay(client, card_number=card)
    assert response.status_code == 402
    payment = response.json()
    assert payment["status"] == "DECLINED" and payment["decline_code"] == code
    assert payment["message"] and payment["approved_at"] is None


@pytest.mark.parametrize(("card", "status"), [("4242424242424242", 201), ("4000000000000002", 402)])
async def test_a_repeat_with_the_same_key_and_body_answers_the_same_payment_and_status(
    client: AsyncTestClient[Any], card: str, status: int,
) -> None:
    first = await pay(client, card_number=card)
    again = await pay(client, card_number=card)
    assert first.status_code == again.status_code == status
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


async def test_the_same_key_with_another_body_is_refused_with_422(client: AsyncTestClient[Any]) -> None:
    await pay(client)
    response = await pay(client, amount=1)
    assert response.status_code == 422
    assert response.json()["error"] == "idempotency_key_reused"
    listed = await client.get("/v1/payments", params={"idempotency_key": ORDER})
    assert listed.json()["amount"] == 39_000  # the first payment stands


async def test_a_payment_is_read_by_id_and_by_idempotency_key(client: AsyncTestClient[Any]) -> None:
    created = (await pay(client)).json()
    by_id = await client.get(f"/v1/payments/{created['id']}")
    by_key = await client.get("/v1/payments", params={"idempotency_key": ORDER})
    assert by_id.status_code == by_key.status_code == 200
    assert by_id.json() == by_key.json() == created


@pytest.mark.parametrize(
    ("path", "params"),
    [("/v1/payments/pay_doesnotexist", None), ("/v1/payments", {"idempotency_key": "never-used"})],
)
async def test_an_unknown_payment_answers_404(
    client: AsyncTestClient[Any], path: str, params: dict[str, str] | None,
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == 404
    assert response.json()["error"] == "payment_not_found"


async def test_looking_up_without_an_idempotency_key_answers_400(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/v1/payments")
    assert response.status_code == 400
    assert response.json()["error"] == "parameter_missing"
    assert response.json()["param"] == "idempotency_key"


async def test_cancelling_refunds_in_full_and_repeating_answers_the_same(client: AsyncTestClient[Any]) -> None:
    created = (await pay(client)).json()
    cancelled = await client.post(f"/v1/payments/{created['id']}/cancel", json={"reason": "고객 요청"})
    again = await client.post(f"/v1/payments/{created['id']}/cancel", json={})
    assert cancelled.status_code == again.status_code == 200
    assert cancelled.json()["status"] == "CANCELLED"
    assert cancelled.json()["cancelled_at"] and cancelled.json()["cancel_reason"] == "고객 요청"
    assert again.json() == cancelled.json()
    assert (await client.get(f"/v1/payments/{created['id']}")).json()["status"] == "CANCELLED"


async def test_cancelling_a_declined_payment_answers_409(client: AsyncTestClient[Any]) -> None:
    declined = (await pay(client, card_number="4000000000000002")).json()
    response = await client.post(f"/v1/payments/{declined['id']}/cancel", json={})
    assert response.status_code == 409
    assert response.json()["error"] == "payment_not_cancellable"


async def test_cancelling_an_unknown_payment_answers_404(client: AsyncTestClient[Any]) -> None:
    response = await client.post("/v1/payments/pay_nope/cancel", json={})
    assert response.status_code == 404


async def test_cancelling_without_a_body_answers_400_and_refunds_nothing(client: AsyncTestClient[Any]) -> None:
    created = (await pay(client)).json()
    response = await client.post(f"/v1/payments/{created['id']}/cancel")
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"
    assert (await client.get(f"/v1/payments/{created['id']}")).json()["status"] == "APPROVED"


@pytest.mark.parametrize(
    ("changes", "param"),
    [({"amount": 0}, "amount"),
     ({"amount": -5}, "amount"),
     ({"amount": 10.5}, "amount"),
     ({"amount": 10_000_000_001}, "amount"),
     ({"currency": "USD"}, "currency"),
     ({"card_number": "4242"}, "card_number"),
     ({"card_number": "4242-4242-4242-4242"}, "card_number"),
     ({"card_number": 4242424242424242}, "card_number"),
     ({"order_id": "order-1"}, "order_id"),
     ({"description": "x" * 201}, "description"),
     ({"amount": ...}, "amount"),
     ({"card_number": ...}, "card_number"),
     ({"order_id": ...}, "order_id")],
)
async def test_an_invalid_payment_request_answers_422_naming_the_parameter_and_charges_nothing(
    client: AsyncTestClient[Any], changes: dict[str, Any], param: str,
) -> None:
    response = await pay(client, **changes)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert response.json()["param"] == param
    assert (await client.get("/v1/payments", params={"idempotency_key": ORDER})).status_code == 404


@pytest.mark.parametrize(
    ("headers", "content", "error"),
    [({}, None, "idempotency_key_required"),
     ({"Idempotency-Key": " padded "}, None, "invalid_idempotency_key"),
     ({"Idempotency-Key": "키".encode()}, None, "invalid_idempotency_key"),
     ({"Idempotency-Key": "k" * 256}, None, "invalid_idempotency_key"),
     ({"Idempotency-Key": "k1"}, b'{"amount": 1,', "malformed_json"),
     ({"Idempotency-Key": "k1"}, b"[]", None)],
)
async def test_an_unreadable_payment_request_answers_4xx_in_the_provider_format(
    client: AsyncTestClient[Any], headers: dict[str, Any], content: bytes | None, error: str | None,
) -> None:
    if content is None:
        response = await client.post("/v1/payments", json=body(), headers=headers)
    else:
        response = await client.post("/v1/payments", content=content,
                                     headers={**headers, "content-type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/json")
    assert set(response.json()) <= {"error", "message", "param"}
    if error:
        assert response.json()["error"] == error
    assert (await client.get("/v1/payments", params={"idempotency_key": "k1"})).status_code == 404


async def test_a_cancel_reason_that_is_too_long_answers_422(client: AsyncTestClient[Any]) -> None:
    created = (await pay(client)).json()
    response = await client.post(f"/v1/payments/{created['id']}/cancel", json={"reason": "x" * 201})
    assert response.status_code == 422
    assert (await client.get(f"/v1/payments/{created['id']}")).json()["status"] == "APPROVED"


async def test_the_admin_api_is_not_on_the_main_port(client: AsyncTestClient[Any]) -> None:
    for method, path in [("GET", "/admin/faults"), ("PUT", "/admin/faults"), ("GET", "/admin/payments")]:
        response = await client.request(method, path, json={} if method == "PUT" else None)
        assert response.status_code in (404, 405), path


async def test_health_and_openapi_are_served(client: AsyncTestClient[Any]) -> None:
    assert (await client.get("/health/ready")).status_code == 200
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {"/v1/payments", "/v1/payments/{payment_id}", "/v1/payments/{payment_id}/cancel"} <= set(paths)

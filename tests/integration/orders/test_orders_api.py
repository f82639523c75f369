"""The REST API over real PostgreSQL, NATS and the payment mock: idempotency under concurrency."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.integration.orders.conftest import OrdersApp
from tests.integration.orders.scenario import DUMBBELL_ID, KETTLEBELL_ID, order_body, seed_replica
from tests.integration.orders.served import PaymentMock


async def test_concurrent_requests_with_one_key_make_one_order_and_one_payment(
        orders_app: OrdersApp, pool: asyncpg.Pool, payment_mock: PaymentMock,
        customer: dict[str, str]) -> None:
    await seed_replica(pool)
    payment_mock.set_faults(latency_ms=200)  # the first is still paying when the rest arrive
    headers = {**customer, "Idempotency-Key": "checkout-concurrent"}
    responses = await asyncio.gather(*(
        orders_app.client.post("/api/v1/orders", json=order_body((DUMBBELL_ID, 1)),
                               headers=headers) for _ in range(8)))
    assert {r.status_code for r in responses} == {201}
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    [order_id] = ids
    assert len(payment_mock.payments(order_id)) == 1
    assert await pool.fetchval("SELECT count(*) FROM orders") == 1
    assert await pool.fetchval(
        "SELECT count(*) FROM outbox WHERE subject = 'fitshop.orders.order.placed'") == 1


async def test_concurrent_declines_with_one_key_all_answer_402(
        orders_app: OrdersApp, pool: asyncpg.Pool, payment_mock: PaymentMock,
        customer: dict[str, str]) -> None:
    await seed_replica(pool)
    payment_mock.set_faults(latency_ms=150)
    headers = {**customer, "Idempotency-Key": "checkout-poor"}
    body = order_body((KETTLEBELL_ID, 1), card="4000000000000002")
    responses = await asyncio.gather(*(
        orders_app.client.post("/api/v1/orders", json=body, headers=headers) for _ in range(4)))
    assert [r.status_code for r in responses] == [402] * 4
    assert len({r.headers["location"] for r in responses}) == 1


async def test_an_order_can_be_read_listed_and_cancelled_with_a_refund_at_the_provider(
        orders_app: OrdersApp, pool: asyncpg.Pool, payment_mock: PaymentMock,
        customer: dict[str, str]) -> None:
    await seed_replica(pool)
    placed = await orders_app.client.post("/api/v1/orders", json=order_body((DUMBBELL_ID, 2)),
                                          headers=customer)
    assert placed.status_code == 201
    order = placed.json()
    assert order["payment"]["amount"] == {"amount": 70_000, "currency": "KRW"}
    listed = (await orders_app.client.get("/api/v1/orders", headers=customer)).json()
    assert [o["id"] for o in listed["items"]] == [order["id"]] and listed["next_cursor"] is None
    cancelled = await orders_app.client.post(f"/api/v1/orders/{order['id']}/cancel",
                                             headers=customer)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    assert [p["status"] for p in payment_mock.payments(order["id"])] == ["CANCELLED"]

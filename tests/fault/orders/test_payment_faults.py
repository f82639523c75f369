"""Payment faults against the real provider mock: breaker, fallback, declines, unknown outcomes."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import nats
import pytest

from fitshop_common.events import assert_conforms, decode_envelope
from tests.integration.orders.conftest import OrdersApp
from tests.integration.orders.scenario import DUMBBELL_ID, order_body, seed_replica
from tests.integration.orders.served import PaymentMock
from tests.support.waiting import eventually

BUSY = "Payment is busy, please retry shortly."


async def status_of(pool: asyncpg.Pool, order_id: str) -> str:
    return str(await pool.fetchval("SELECT status FROM orders WHERE id = $1", order_id))


def order_id_of(response: object) -> str:
    location = response.headers["location"]  # type: ignore[attr-defined]
    return str(location).rsplit("/", 1)[-1]


@pytest.mark.slow
@pytest.mark.parametrize("orders_app", [{"payment_timeout_seconds": 0.3,
                                         "payment_breaker_failures": 3,
                                         "payment_breaker_recovery_seconds": 1.5}], indirect=True)
async def test_a_slow_provider_opens_the_breaker_then_calls_fail_fast_then_half_open_recovers(
        orders_app: OrdersApp, pool: asyncpg.Pool, payment_mock: PaymentMock,
        customer: dict[str, str]) -> None:
    await seed_replica(pool)
    post = orders_app.client.post
    payment_mock.set_faults(latency_ms=800)  # above the 0.3 s timeout
    slow = []
    for _ in range(3):
        response = await post("/api/v1/orders", json=order_body((DUMBBELL_ID, 1)), headers=customer)
        assert response.status_code == 503 and int(response.headers["retry-after"]) >= 1
        slow.append(order_id_of(response))

    started = time.monotonic()
    fast = await post("/api/v1/orders", json=order_body((DUMBBELL_ID, 1)), headers=customer)
    elapsed = time.monotonic() - started
    assert fast.status_code == 503 and fast.json()["detail"] == BUSY
    assert 1 <= int(fast.headers["retry-after"]) <= 2  # what is left of the open period
    assert elapsed < 0.25  # failed fast: the provider was not called
    fast_id = order_id_of(fast)
    assert payment_mock.payments(fast_id) == []
    assert await status_of(pool, fast_id) == "PAYMENT_UNAVAILABLE"

    payment_mock.set_faults()  # the provider recovers
    await asyncio.sleep(1.6)  # the open period ends: the next call is the half-open probe
    probe = await post("/api/v1/orders", json=order_body((DUMBBELL_ID, 1)), headers=customer)
    assert probe.status_code == 201, probe.text
    after = await post("/api/v1/orders", json=order_body((DUMBBELL_ID, 1)), headers=customer)
    assert after.status_code == 201  # closed again

    # The slow calls did reach the provider and charged after our timeout: the reconciler
    # finds each by its key and places it, exactly once.
    async def all_placed() -> bool:
        return all([await status_of(pool, o) == "PLACED" for o in slow])

    await eventually(all_placed)
    for order_id in slow:
        assert [p["status"] for p in payment_mock.payments(order_id)] == ["APPROVED"]


@pytest.mark.slow
async def test_provider_down_answers_503_and_places_nothing(
        orders_app: OrdersApp, pool: asyncpg.Pool, payment_mock: PaymentMock,
        customer: dict[str, str]) -> None:
    await seed_replica(pool)
    payment_mock.set_faults(outage=True)
    ids = []
    for _ in range(5):
        response = await orders_app.client.post("/api/v1/orders", json=order_body((DUMBBELL_ID, 1)),
                                                headers=customer)
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"] == BUSY and int(response.headers["retry-after"]) >= 1
        ids.append(order_id_of(response))
    await asyncio.sleep(1.0)  # give the reconciler passes a chance to do something wrong
    assert await pool.fetchval("SELECT count(*) FROM orders WHERE status = 'PLACED'") == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    for order_id in ids:
        assert payment_mock.payments(order_id) == []
        assert (await orders_app.client.get(f"/api/v1/orders/{order_id}",
                                            headers=customer)).json()["status"] == "PAYMENT_UNAVAILABLE"


async def test_a_declined_card_answers_402_and_nothing_is_charged(
        orders_app: OrdersApp, pool: asyncpg.Pool, payment_mock: PaymentMock,
        customer: dict[str, str]) -> None:
    await seed_replica(pool)
    response = await orders_app.client.post(
        "/api/v1/orders", json=order_body((DUMBBELL_ID, 1), card="4111111111110069"),
        headers=customer)
    assert response.status_code == 402
    order_id = order_id_of(response)
    assert [p["status"] for p in payment_mock.payments(order_id)] == ["DECLINED"]
    assert await status_of(pool, order_id) == "PAYMENT_DECLINED"
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0


@pytest.mark.slow
@pytest.mark.parametrize("orders_app", [{"payment_timeout_seconds": 0.3}], indirect=True)
async def test_a_timeout_after_a_real_charge_is_reconciled_to_placed_exactly_once(
        orders_app: OrdersApp, pool: asyncpg.Pool, payment_mock: PaymentMock,
        customer: dict[str, str], nats_url: str) -> None:
    await seed_replica(pool)
    # the provider stores the payment, then stalls past our timeout
    payment_mock.set_faults(latency_ms=1000, charge_then_delay=True)
    response = await orders_app.client.post("/api/v1/orders", json=order_body((DUMBBELL_ID, 2)),
                                            headers=customer)
    assert response.status_code == 503
    assert "could not confirm the payment yet" in response.json()["detail"]
    order_id = order_id_of(response)
    payment_mock.set_faults()

    async def placed() -> bool:
        body = (await orders_app.client.get(f"/api/v1/orders/{order_id}", headers=customer)).json()
        return bool(body["status"] == "PLACED")

    await eventually(placed)
    await asyncio.sleep(1.0)  # more reconciler passes must not place it twice
    assert len(payment_mock.payments(order_id)) == 1
    nc = await nats.connect(nats_url)
    js = nc.jetstream()

    async def published() -> bool:
        return bool((await js.stream_info("ORDERS")).state.messages >= 1)

    await eventually(published)
    info = await js.stream_info("ORDERS")
    events = [decode_envelope((await js.get_msg("ORDERS", seq)).data)
              for seq in range(info.state.first_seq, info.state.last_seq + 1)]
    await nc.close()
    placed_events = [e for e in events if e.type == "order.placed" and e.correlation_id == order_id]
    assert len(placed_events) == 1
    assert_conforms(placed_events[0])
    assert placed_events[0].data["payment"]["id"] == payment_mock.payments(order_id)[0]["id"]

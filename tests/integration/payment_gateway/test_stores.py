"""Both payment stores keep the same promises; the SQLite one also survives a restart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from payment_gateway.adapters.memory_store import InMemoryPaymentStore
from payment_gateway.adapters.sqlite_store import SqlitePaymentStore
from payment_gateway.application.ports import DuplicatePayment, PaymentStore
from payment_gateway.domain.payment import Payment, PaymentRequest

NOW = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
ORDER = "7b1d2f4e-3c59-4a53-8d0e-5b1f4f0a9c11"


def payment(payment_id: str, key: str, card: str = "4242424242424242", order: str = ORDER) -> Payment:
    request = PaymentRequest(idempotency_key=key, amount=12_000, currency="KRW", card_number=card,
                             order_id=order, description="요가매트")
    return Payment.authorize(payment_id, request, NOW)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PaymentStore]:
    if request.param == "memory":
        yield InMemoryPaymentStore()
        return
    sqlite = SqlitePaymentStore(tmp_path / "payments.sqlite3")
    yield sqlite
    sqlite.close()


async def test_a_stored_payment_is_found_by_id_key_and_order(store: PaymentStore) -> None:
    approved = payment("pay_a", "key-a")
    await store.add(approved)
    assert await store.get("pay_a") == approved
    assert await store.by_idempotency_key("key-a") == approved
    assert await store.by_order(ORDER) == [approved]
    assert await store.get("pay_b") is None and await store.by_idempotency_key("key-b") is None


async def test_a_taken_id_or_key_is_refused(store: PaymentStore) -> None:
    await store.add(payment("pay_a", "key-a"))
    with pytest.raises(DuplicatePayment):
        await store.add(payment("pay_a", "key-b"))
    with pytest.raises(DuplicatePayment):
        await store.add(payment("pay_b", "key-a"))


async def test_a_declined_then_cancelled_state_round_trips(store: PaymentStore) -> None:
    declined = payment("pay_d", "key-d", card="4000000000000069")
    await store.add(declined)
    assert await store.get("pay_d") == declined
    approved = payment("pay_a", "key-a")
    await store.add(approved)
    cancelled, _ = approved.cancel("고객 요청", NOW)
    await store.replace(cancelled)
    assert await store.get("pay_a") == cancelled


async def test_payments_are_listed_oldest_first_and_cleared(store: PaymentStore) -> None:
    for i in range(3):
        await store.add(payment(f"pay_{i}", f"key-{i}"))
    await store.add(payment("pay_x", "key-x", order="0f4a8c2b-9d61-4e0f-b3a7-2c5e8d1f6a90"))
    assert [p.id for p in await store.by_order(ORDER)] == ["pay_0", "pay_1", "pay_2"]
    assert len(await store.by_order(None)) == 4
    await store.clear()
    assert await store.by_order(None) == []


async def test_sqlite_payments_survive_a_restart_of_the_mock(tmp_path: Path) -> None:
    first = SqlitePaymentStore(tmp_path / "data" / "payments.sqlite3")
    await first.add(payment("pay_a", "key-a"))
    first.close()
    reopened = SqlitePaymentStore(tmp_path / "data" / "payments.sqlite3")
    try:
        assert (await reopened.by_idempotency_key("key-a")) == payment("pay_a", "key-a")
    finally:
        reopened.close()

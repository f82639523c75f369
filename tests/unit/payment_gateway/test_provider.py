"""The provider's use cases with an in-memory store, a fixed clock and a controllable sleep."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest

from payment_gateway.adapters.memory_store import InMemoryPaymentStore
from payment_gateway.application.errors import (
    IdempotencyKeyReused,
    InjectedFailure,
    Overloaded,
    PaymentNotCancellable,
    PaymentNotFound,
)
from payment_gateway.application.faults import FaultInjector
from payment_gateway.application.ports import Clock
from payment_gateway.application.service import PaymentProvider
from payment_gateway.domain.faults import Faults
from payment_gateway.domain.payment import PaymentRequest, PaymentStatus

ORDER = "7b1d2f4e-3c59-4a53-8d0e-5b1f4f0a9c11"
OTHER_ORDER = "0f4a8c2b-9d61-4e0f-b3a7-2c5e8d1f6a90"


class FixedClock(Clock):
    def now(self) -> datetime:
        return datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


class RecordingSleep:
    """Records each requested delay; `gate` (when set) holds sleepers until it opens."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.gate: asyncio.Event | None = None
        self.on_sleep: list[object] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        for hook in self.on_sleep:
            hook()  # type: ignore[operator]
        if self.gate is not None:
            await self.gate.wait()


def request(key: str = ORDER, card: str = "4242424242424242", amount: int = 39_000,
            order_id: str = ORDER) -> PaymentRequest:
    return PaymentRequest(idempotency_key=key, amount=amount, currency="KRW", card_number=card,
                          order_id=order_id, description="케틀벨 16kg")


@pytest.fixture
def store() -> InMemoryPaymentStore:
    return InMemoryPaymentStore()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def provider(store: InMemoryPaymentStore, sleep: RecordingSleep) -> PaymentProvider:
    injector = FaultInjector(retry_after_seconds=3, rng=random.Random(7), sleep=sleep)
    return PaymentProvider(store, injector, FixedClock())


async def test_the_same_key_and_body_answer_the_same_payment_marked_as_replayed(
    provider: PaymentProvider, store: InMemoryPaymentStore,
) -> None:
    first = await provider.create(request())
    second = await provider.create(request())
    assert not first.replayed and second.replayed
    assert second.payment == first.payment
    assert len(await store.by_order(ORDER)) == 1


async def test_the_same_key_with_another_body_is_refused_and_charges_nothing_more(
    provider: PaymentProvider, store: InMemoryPaymentStore,
) -> None:
    await provider.create(request())
    with pytest.raises(IdempotencyKeyReused):
        await provider.create(request(amount=1))
    assert len(await store.by_order(None)) == 1


async def test_concurrent_calls_with_one_key_charge_once(
    provider: PaymentProvider, store: InMemoryPaymentStore,
) -> None:
    results = await asyncio.gather(*(provider.create(request()) for _ in range(20)))
    assert len({r.payment.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert len(await store.by_order(ORDER)) == 1


async def test_a_declined_payment_is_stored_and_replayed_as_declined(provider: PaymentProvider) -> None:
    first = await provider.create(request(card="4000000000000069"))
    again = await provider.create(request(card="4000000000000069"))
    assert first.payment.status is PaymentStatus.DECLINED
    assert again.replayed and again.payment == first.payment


async def test_a_payment_is_found_by_its_idempotency_key(provider: PaymentProvider) -> None:
    created = await provider.create(request(key="order-key-1"))
    assert await provider.find_by_idempotency_key("order-key-1") == created.payment
    with pytest.raises(PaymentNotFound):
        await provider.find_by_idempotency_key("never-used")


async def test_cancelling_refunds_once_and_repeating_answers_the_same(provider: PaymentProvider) -> None:
    created = await provider.create(request())
    cancelled = await provider.cancel(created.payment.id, "customer cancelled")
    again = await provider.cancel(created.payment.id, "second click")
    assert cancelled.status is PaymentStatus.CANCELLED
    assert again == cancelled
    assert (await provider.get(created.payment.id)).status is PaymentStatus.CANCELLED


async def test_cancelling_a_declined_or_unknown_payment_is_refused(provider: PaymentProvider) -> None:
    declined = await provider.create(request(card="4000000000000002"))
    with pytest.raises(PaymentNotCancellable):
        await provider.cancel(declined.payment.id, None)
    with pytest.raises(PaymentNotFound):
        await provider.cancel("pay_missing", None)


async def test_payments_are_listed_per_order(provider: PaymentProvider) -> None:
    await provider.create(request(key="a"))
    await provider.create(request(key="b", order_id=OTHER_ORDER))
    assert [p.idempotency_key for p in await provider.payments(ORDER)] == ["a"]
    assert len(await provider.payments(None)) == 2


# -- faults ------------------------------------------------------------------------------------


async def test_in_an_outage_every_call_is_refused_as_overloaded_and_nothing_is_charged(
    provider: PaymentProvider, store: InMemoryPaymentStore,
) -> None:
    provider.faults.replace(Faults(outage=True))
    with pytest.raises(Overloaded) as refused:
        await provider.create(request())
    assert refused.value.retry_after == 3
    with pytest.raises(Overloaded):
        await provider.find_by_idempotency_key(ORDER)
    assert await store.by_order(None) == []


async def test_calls_beyond_the_concurrency_limit_are_refused_while_others_are_in_flight(
    provider: PaymentProvider, sleep: RecordingSleep,
) -> None:
    provider.faults.replace(Faults(latency_ms=100, max_concurrency=2))
    sleep.gate = asyncio.Event()
    in_flight = [asyncio.create_task(provider.create(request(key=f"k{i}"))) for i in range(2)]
    await asyncio.sleep(0)
    assert provider.faults.in_flight == 2
    with pytest.raises(Overloaded):
        await provider.create(request(key="third"))
    sleep.gate.set()
    assert all(not r.replayed for r in await asyncio.gather(*in_flight))
    assert provider.faults.in_flight == 0
    assert (await provider.create(request(key="after"))).payment.status is PaymentStatus.APPROVED


async def test_an_error_rate_of_one_fails_every_call_before_anything_is_charged(
    provider: PaymentProvider, store: InMemoryPaymentStore,
) -> None:
    provider.faults.replace(Faults(error_rate=1.0))
    for _ in range(5):
        with pytest.raises(InjectedFailure):
            await provider.create(request())
    assert await store.by_order(None) == []
    assert provider.faults.in_flight == 0


async def test_an_error_rate_fails_about_that_share_of_calls(provider: PaymentProvider) -> None:
    provider.faults.replace(Faults(error_rate=0.3))
    failures = 0
    for i in range(400):
        try:
            await provider.create(request(key=f"k{i}"))
        except InjectedFailure:
            failures += 1
    assert 80 <= failures <= 160  # 120 expected; the rng is seeded, the bounds are generous


async def test_latency_with_jitter_delays_each_call_within_its_bounds(
    provider: PaymentProvider, sleep: RecordingSleep,
) -> None:
    provider.faults.replace(Faults(latency_ms=200, latency_jitter_ms=50))
    for i in range(20):
        await provider.create(request(key=f"k{i}"))
    assert len(sleep.delays) == 20
    assert all(0.2 <= d <= 0.25 for d in sleep.delays)
    assert len(set(sleep.delays)) > 1


async def test_latency_is_applied_before_the_decision_unless_charge_then_delay(
    provider: PaymentProvider, sleep: RecordingSleep, store: InMemoryPaymentStore,
) -> None:
    seen_while_sleeping: list[int] = []
    sleep.on_sleep.append(lambda: seen_while_sleeping.append(len(store._by_id)))

    provider.faults.replace(Faults(latency_ms=10))
    await provider.create(request(key="before"))
    provider.faults.replace(Faults(latency_ms=10, charge_then_delay=True))
    await provider.create(request(key="after"))

    # The first sleep saw nothing stored yet; the second saw its own payment already stored.
    assert seen_while_sleeping == [0, 2]


async def test_without_faults_nothing_sleeps(provider: PaymentProvider, sleep: RecordingSleep) -> None:
    await provider.create(request())
    assert sleep.delays == []

"""The PostgreSQL adapters against a real database: orders, payments, replica, keys, due refunds."""

from __future__ import annotations

import asyncio
import copy
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from orders.adapters.postgres_repository import (
    PostgresIdempotencyKeys,
    PostgresOrders,
    PostgresProductReplica,
)
from orders.adapters.unit_of_work import OrdersUnitOfWork
from orders.application.envelopes import to_envelope
from orders.application.ports import KeyClaim, StorageUnavailable
from orders.domain.money import Money
from orders.domain.order import (
    DeliveryStatus,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    ShippingAddress,
)
from orders.domain.product import Product
from tests.integration.orders.scenario import DUMBBELL_ID, YOGA_MAT_ID

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
HOME = ShippingAddress("Kim Minji", "12 Teheran-ro", "Seoul", "06236", "010-1234-5678")


def new_order(customer: str = "alice", at: datetime = T0) -> Order:
    return Order.start(order_id=str(uuid.uuid4()), customer_id=customer,
                       customer_email=f"{customer}@example.com",
                       lines=[OrderLine(DUMBBELL_ID, "Dumbbell 10 kg", Money(35_000), 2),
                              OrderLine(YOGA_MAT_ID, "Yoga mat 6 mm", Money(19_900), 1)],
                       shipping_address=HOME, at=at)


async def test_an_order_and_its_payment_record_round_trip(pool: asyncpg.Pool) -> None:
    order = new_order()
    async with OrdersUnitOfWork(pool) as uow:
        await uow.orders.add(order)
        await uow.commit()
    async with OrdersUnitOfWork(pool) as uow:
        stored = await uow.orders.get(order.id, lock=True)
        assert stored is not None
        stored.record_approved_payment(Payment("pay_abc", PaymentStatus.APPROVED, stored.total,
                                               card_last4="4242"), T0 + timedelta(seconds=1))
        stored.follow_delivery(DeliveryStatus.STARTED, 2, T0 + timedelta(minutes=5))
        await uow.orders.save(stored)
        uow.publish(*(to_envelope(e) for e in stored.events))
        await uow.commit()
    async with OrdersUnitOfWork(pool) as uow:
        again = await uow.orders.get(order.id)
    assert again is not None
    assert again.status is OrderStatus.PREPARING and again.version == 3
    assert again.lines == order.lines and again.total == Money(89_900)
    assert again.shipping_address == HOME and again.customer_email == "alice@example.com"
    assert again.payment == Payment("pay_abc", PaymentStatus.APPROVED, Money(89_900),
                                    card_last4="4242")
    assert (again.delivery_status, again.delivery_version) == (DeliveryStatus.STARTED, 2)
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 1  # order.placed, same commit


async def test_an_optimistic_save_of_a_stale_copy_writes_neither_the_row_nor_its_payment(
        pool: asyncpg.Pool) -> None:
    order = new_order()
    async with OrdersUnitOfWork(pool) as uow:
        await uow.orders.add(order)
        await uow.commit()
    paid = Payment("pay_late", PaymentStatus.APPROVED, order.total, card_last4="4242")
    stale = copy.deepcopy(order)
    async with OrdersUnitOfWork(pool) as uow:  # someone else moves the order first
        order.record_nothing_charged(T0 + timedelta(seconds=1))
        assert await uow.orders.save(order, expected_version=1)
        await uow.commit()
    async with OrdersUnitOfWork(pool) as uow:
        stale.record_approved_payment(paid, T0 + timedelta(seconds=2))
        assert not await uow.orders.save(stale, expected_version=1)
        await uow.commit()
    async with OrdersUnitOfWork(pool) as uow:
        stored = await uow.orders.get(order.id)
    assert stored is not None
    assert stored.status is OrderStatus.PAYMENT_UNAVAILABLE and stored.payment is None
    assert await pool.fetchval("SELECT count(*) FROM payments WHERE order_id = $1", order.id) == 0


async def test_an_order_added_with_its_payment_keeps_both(pool: asyncpg.Pool) -> None:
    order = new_order()
    order.record_approved_payment(Payment("pay_now", PaymentStatus.APPROVED, order.total), T0)
    async with OrdersUnitOfWork(pool) as uow:
        await uow.orders.add(order)
        await uow.commit()
    async with OrdersUnitOfWork(pool) as uow:
        stored = await uow.orders.get(order.id)
    assert stored is not None and stored.payment is not None
    assert (stored.status, stored.payment.id) == (OrderStatus.PLACED, "pay_now")


async def test_leaving_without_commit_keeps_nothing(pool: asyncpg.Pool) -> None:
    order = new_order()
    with pytest.raises(RuntimeError):
        async with OrdersUnitOfWork(pool) as uow:
            await uow.orders.add(order)
            raise RuntimeError("payment step blew up")
    async with OrdersUnitOfWork(pool) as uow:
        assert await uow.orders.get(order.id) is None


async def test_my_orders_page_newest_first_by_keyset(pool: asyncpg.Pool) -> None:
    orders = [new_order(at=T0 + timedelta(seconds=i)) for i in range(5)]
    async with OrdersUnitOfWork(pool) as uow:
        for order in [*orders, new_order("bob")]:
            await uow.orders.add(order)
        await uow.commit()
    seen: list[str] = []
    after = None
    async with pool.acquire() as conn:
        repo = PostgresOrders(conn)
        while True:
            page = await repo.list_for_customer("alice", 2, after)
            seen += [o.id for o in page.orders]
            if page.next_after is None:
                break
            after = page.next_after
    assert seen == [o.id for o in reversed(orders)]


async def test_only_open_payment_outcomes_are_listed_for_the_reconciler(pool: asyncpg.Pool) -> None:
    young, old, unknown, settled = (new_order(at=T0 + timedelta(seconds=s)) for s in (50, 0, 1, 2))
    unknown.record_payment_unavailable(outcome_unknown=True, at=T0 + timedelta(seconds=55))
    settled.record_payment_unavailable(outcome_unknown=False, at=T0)
    async with OrdersUnitOfWork(pool) as uow:
        for order in (young, old, unknown, settled):
            await uow.orders.add(order)
        await uow.commit()
    async with pool.acquire() as conn:
        due = await PostgresOrders(conn).awaiting_payment(T0 + timedelta(seconds=30), 10)
    assert due == [old.id, unknown.id]


async def test_the_replica_keeps_the_highest_version(pool: asyncpg.Pool) -> None:
    v2 = Product(DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(33_000), 9, version=2)
    v1 = Product(DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(99_000), 1, version=1)
    async with pool.acquire() as conn:
        replica = PostgresProductReplica(conn)
        assert await replica.put_if_newer(v2)
        assert not await replica.put_if_newer(v1)
        assert not await replica.put_if_newer(v2)
        assert await replica.put_if_newer(Product.tombstone(DUMBBELL_ID, 3))
        assert (await replica.get_many([DUMBBELL_ID, YOGA_MAT_ID]))[DUMBBELL_ID].deleted


async def test_concurrent_claims_of_one_key_bind_it_to_one_order(pool: asyncpg.Pool) -> None:
    async def claim(order: Order) -> KeyClaim:
        async with OrdersUnitOfWork(pool) as uow:
            result = await uow.idempotency.claim("alice", "checkout-1", "same-body", order.id)
            if result.claim is KeyClaim.NEW:
                await uow.orders.add(order)
                await asyncio.sleep(0.2)  # the others wait on the key meanwhile
                await uow.commit()
            return result.claim

    claims = await asyncio.gather(*(claim(new_order()) for _ in range(5)))
    assert sorted(claims) == [KeyClaim.NEW] + [KeyClaim.SAME_REQUEST] * 4
    assert await pool.fetchval("SELECT count(*) FROM orders") == 1
    async with pool.acquire() as conn:
        other = await PostgresIdempotencyKeys(conn).claim("alice", "checkout-1", "other", str(uuid.uuid4()))
    assert other.claim is KeyClaim.OTHER_REQUEST


async def test_a_lost_database_is_reported_as_storage_unavailable() -> None:
    pool = await asyncpg.create_pool("postgresql://postgres@127.0.0.1:1/none", min_size=0)
    assert pool is not None
    with pytest.raises(StorageUnavailable):
        async with OrdersUnitOfWork(pool):
            pass
    await pool.close()

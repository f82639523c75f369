"""The reconciler settles unknown payment outcomes by asking the provider (invariant 1, DESIGN §4)."""

from __future__ import annotations

from orders.application.ports import StorageUnavailable, Unavailable
from orders.application.results import PaymentUnavailable
from orders.domain.money import Money
from orders.domain.order import Order, OrderStatus, Payment, PaymentStatus
from tests.unit.orders.fakes import DUMBBELL_ID, FakeUnitOfWork, World, make_world
from tests.unit.orders.test_place_order import place


async def unknown_outcome(world: World, *, charged: bool) -> Order:
    if charged:
        world.gateway.charge_then_fail = True
    else:
        world.gateway.next_charges = [Unavailable("timed out", 3, outcome_unknown=True)]
    result = await world.service.place_order(place((DUMBBELL_ID, 1)))
    world.gateway.charge_then_fail = False
    assert isinstance(result, PaymentUnavailable) and result.outcome_unknown
    return result.order


async def test_a_charge_that_happened_is_placed_exactly_once() -> None:
    world = make_world()
    order = await unknown_outcome(world, charged=True)
    first = await world.service.reconcile()
    second = await world.service.reconcile()
    assert (first.placed, second.placed) == (1, 0)
    assert world.store.orders[order.id].status is OrderStatus.PLACED
    assert [e.type for e in world.store.outbox] == ["order.placed"]
    assert len(world.gateway.approved()) == 1


async def test_no_charge_found_fails_the_order_only_after_the_settle_time() -> None:
    world = make_world()
    order = await unknown_outcome(world, charged=False)
    report = await world.service.reconcile()
    assert report.left_open == 1
    assert world.store.orders[order.id].awaits_payment  # a late charge may still show up
    world.clock.advance(world.service.policy.reconcile_settle_seconds)
    report = await world.service.reconcile()
    assert report.failed == 1
    settled = world.store.orders[order.id]
    assert settled.status is OrderStatus.PAYMENT_UNAVAILABLE and not settled.awaits_payment
    assert world.store.outbox == []


async def test_a_pending_order_younger_than_the_grace_time_is_left_to_its_request() -> None:
    world = make_world()
    # a request is paying right now: its order sits in PAYMENT_PENDING
    world.gateway.charge_then_fail = True
    result = await world.service.place_order(place((DUMBBELL_ID, 1)))
    assert isinstance(result, PaymentUnavailable)
    stored = world.store.orders[result.order.id]
    stored.status, stored.payment_outcome_unknown = OrderStatus.PAYMENT_PENDING, False
    report = await world.service.reconcile()
    assert report.placed == 0
    assert world.store.orders[result.order.id].status is OrderStatus.PAYMENT_PENDING
    world.clock.advance(world.service.policy.reconcile_grace_seconds + 1)
    report = await world.service.reconcile()
    assert report.placed == 1
    assert world.store.orders[result.order.id].status is OrderStatus.PLACED


async def test_a_declined_payment_found_later_declines_the_order() -> None:
    world = make_world()
    world.gateway.charge_then_fail = True
    result = await world.service.place_order(place((DUMBBELL_ID, 1), card="4000000000000002"))
    assert isinstance(result, PaymentUnavailable)
    await world.service.reconcile()
    assert world.store.orders[result.order.id].status is OrderStatus.PAYMENT_DECLINED


async def test_while_the_provider_is_down_the_outcome_stays_open() -> None:
    world = make_world()
    order = await unknown_outcome(world, charged=True)
    world.gateway.lookup_unavailable = True
    world.clock.advance(3600)
    report = await world.service.reconcile()
    assert report.left_open == 1
    assert world.store.orders[order.id].awaits_payment


async def test_an_approved_payment_no_order_can_take_is_refunded() -> None:
    world = make_world()
    order = await unknown_outcome(world, charged=True)
    # the provider charged another amount than the order's total: never place that
    key = order.id
    wrong = Payment(world.gateway.payments[key].id, PaymentStatus.APPROVED, Money(1))
    world.gateway.payments[key] = wrong
    report = await world.service.reconcile()
    assert report.refunded == 1
    assert world.gateway.refunds == [wrong.id]
    assert world.store.orders[order.id].status is OrderStatus.PAYMENT_UNAVAILABLE
    assert world.store.outbox == []


async def test_a_refund_that_fails_is_retried_on_the_next_pass() -> None:
    world = make_world()
    order = await unknown_outcome(world, charged=True)
    world.gateway.payments[order.id] = Payment(world.gateway.payments[order.id].id,
                                               PaymentStatus.APPROVED, Money(1))
    world.gateway.refund_unavailable = True
    await world.service.reconcile()
    assert [p for p, done in world.store.refunds_due.values() if not done]
    world.gateway.refund_unavailable = False
    report = await world.service.reconcile()
    assert report.refunded == 1
    assert all(done for _, done in world.store.refunds_due.values())


async def test_a_request_that_cannot_record_its_approved_payment_is_placed_by_the_reconciler() -> None:
    world = make_world()
    # the first commit (PAYMENT_PENDING) works, the one after the charge fails like a lost database
    real_commit = FakeUnitOfWork.commit
    commits = 0

    async def flaky_commit(self: FakeUnitOfWork) -> None:
        nonlocal commits
        commits += 1
        if commits == 2:
            raise StorageUnavailable("connection lost")
        await real_commit(self)

    FakeUnitOfWork.commit = flaky_commit  # type: ignore[method-assign]
    try:
        result = await world.service.place_order(place((DUMBBELL_ID, 1)))
    finally:
        FakeUnitOfWork.commit = real_commit  # type: ignore[method-assign]
    assert isinstance(result, PaymentUnavailable) and result.outcome_unknown
    assert world.store.orders[result.order.id].status is OrderStatus.PAYMENT_PENDING
    world.clock.advance(world.service.policy.reconcile_grace_seconds + 1)
    await world.service.reconcile()
    assert world.store.orders[result.order.id].status is OrderStatus.PLACED
    assert [e.type for e in world.store.outbox] == ["order.placed"]

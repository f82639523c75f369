"""PlaceOrder with fakes of the ports: validate, persist, pay, then place or fail — and idempotency."""

from __future__ import annotations

import asyncio

from fitshop_common.events import assert_conforms
from orders.application.ports import Unavailable
from orders.application.results import (
    IdempotencyKeyReused,
    LinesUnavailable,
    PaymentDeclined,
    PaymentUnavailable,
    Placed,
)
from orders.domain.commands import PlaceOrder, RequestedLine
from orders.domain.money import Money
from orders.domain.order import OrderStatus, PaymentStatus, ShippingAddress
from orders.domain.product import Availability
from tests.unit.orders.fakes import (
    DUMBBELL_ID,
    KETTLEBELL_ID,
    RETIRED_BAR_ID,
    SOLD_OUT_ROPE_ID,
    YOGA_MAT_ID,
    make_world,
)

HOME = ShippingAddress("Kim Minji", "12 Teheran-ro", "Seoul", "06236", "010-1234-5678")
GOOD_CARD = "4242424242424242"
POOR_CARD = "4000000000000002"


def place(*lines: tuple[str, int], card: str = GOOD_CARD, key: str | None = None,
          customer: str = "alice") -> PlaceOrder:
    return PlaceOrder(customer_id=customer, customer_email=f"{customer}@example.com",
                      lines=tuple(RequestedLine(p, q) for p, q in lines),
                      shipping_address=HOME, card_number=card, idempotency_key=key,
                      fingerprint=f"{lines}{card}")


async def test_a_paid_order_is_placed_with_its_payment_and_one_order_placed_event() -> None:
    world = make_world()
    result = await world.service.place_order(place((DUMBBELL_ID, 2), (YOGA_MAT_ID, 1)))
    assert isinstance(result, Placed)
    order = world.store.orders[result.order.id]
    assert order.status is OrderStatus.PLACED
    assert order.total == Money(89_900)
    assert order.payment is not None and order.payment.status is PaymentStatus.APPROVED
    [charge] = world.gateway.charges
    assert charge.order_id == order.id and charge.amount == Money(89_900)
    [event] = world.store.outbox
    assert event.type == "order.placed" and event.correlation_id == order.id
    assert event.data["customer_email"] == "alice@example.com" and event.data["locale"] == "ko"
    assert event.data["order_version"] == 2
    assert_conforms(event)


async def test_lines_are_priced_from_the_replica_not_from_the_request() -> None:
    world = make_world()
    result = await world.service.place_order(place((KETTLEBELL_ID, 2)))
    assert isinstance(result, Placed)
    [line] = result.order.lines
    assert (line.name, line.unit_price, line.quantity) == ("Kettlebell 16 kg", Money(52_000), 2)


async def test_unknown_deleted_sold_out_or_short_products_are_refused_and_nothing_is_kept() -> None:
    world = make_world()
    unknown = "0b5e7a52-2f37-4a0e-9d7c-3e1f0000ffff"
    result = await world.service.place_order(place(
        (DUMBBELL_ID, 1), (unknown, 1), (RETIRED_BAR_ID, 1), (SOLD_OUT_ROPE_ID, 1),
        (KETTLEBELL_ID, 6)))
    assert isinstance(result, LinesUnavailable)
    assert [(p.index, p.availability) for p in result.problems] == [
        (1, Availability.UNKNOWN), (2, Availability.DELETED), (3, Availability.OUT_OF_STOCK),
        (4, Availability.NOT_ENOUGH_STOCK)]
    assert world.store.orders == {} and world.gateway.charges == []
    assert world.store.outbox == []


async def test_a_declined_card_leaves_a_declined_order_nothing_charged_and_no_event() -> None:
    world = make_world()
    result = await world.service.place_order(place((DUMBBELL_ID, 1), card=POOR_CARD))
    assert isinstance(result, PaymentDeclined)
    assert world.store.orders[result.order.id].status is OrderStatus.PAYMENT_DECLINED
    assert world.gateway.approved() == []
    assert world.store.outbox == []


async def test_busy_payment_answers_unavailable_with_retry_after_and_places_nothing() -> None:
    world = make_world()
    world.gateway.next_charges = [Unavailable("overloaded", retry_after=7)]
    result = await world.service.place_order(place((DUMBBELL_ID, 1)))
    assert isinstance(result, PaymentUnavailable)
    assert (result.retry_after, result.outcome_unknown) == (7, False)
    order = world.store.orders[result.order.id]
    assert order.status is OrderStatus.PAYMENT_UNAVAILABLE and not order.payment_outcome_unknown
    assert world.gateway.approved() == [] and world.store.outbox == []


async def test_a_timeout_after_a_charge_leaves_the_outcome_open_for_the_reconciler() -> None:
    world = make_world()
    world.gateway.charge_then_fail = True
    result = await world.service.place_order(place((DUMBBELL_ID, 1)))
    assert isinstance(result, PaymentUnavailable) and result.outcome_unknown
    order = world.store.orders[result.order.id]
    assert order.status is OrderStatus.PAYMENT_UNAVAILABLE and order.awaits_payment
    assert world.store.outbox == []  # no OrderPlaced before the payment is confirmed


async def test_the_same_key_and_body_answer_the_same_order_without_paying_twice() -> None:
    world = make_world()
    first = await world.service.place_order(place((DUMBBELL_ID, 1), key="checkout-7"))
    again = await world.service.place_order(place((DUMBBELL_ID, 1), key="checkout-7"))
    assert isinstance(first, Placed) and isinstance(again, Placed)
    assert again.order.id == first.order.id
    assert len(world.gateway.charges) == 1 and len(world.store.outbox) == 1
    assert len(world.store.orders) == 1


async def test_the_same_key_replays_a_decline_as_a_decline() -> None:
    world = make_world()
    first = await world.service.place_order(place((DUMBBELL_ID, 1), card=POOR_CARD, key="k"))
    again = await world.service.place_order(place((DUMBBELL_ID, 1), card=POOR_CARD, key="k"))
    assert isinstance(first, PaymentDeclined) and isinstance(again, PaymentDeclined)
    assert again.order.id == first.order.id and len(world.gateway.charges) == 1


async def test_the_same_key_with_another_body_is_refused() -> None:
    world = make_world()
    await world.service.place_order(place((DUMBBELL_ID, 1), key="checkout-7"))
    other = await world.service.place_order(place((DUMBBELL_ID, 2), key="checkout-7"))
    assert other == IdempotencyKeyReused("checkout-7")
    assert len(world.store.orders) == 1


async def test_keys_belong_to_one_customer() -> None:
    world = make_world()
    alice = await world.service.place_order(place((DUMBBELL_ID, 1), key="k"))
    bob = await world.service.place_order(place((DUMBBELL_ID, 1), key="k", customer="bob"))
    assert isinstance(alice, Placed) and isinstance(bob, Placed)
    assert alice.order.id != bob.order.id


async def test_retrying_after_busy_payment_with_the_same_key_pays_the_same_order() -> None:
    world = make_world()
    world.gateway.next_charges = [Unavailable("overloaded", retry_after=2)]
    first = await world.service.place_order(place((DUMBBELL_ID, 1), key="k"))
    assert isinstance(first, PaymentUnavailable)
    retry = await world.service.place_order(place((DUMBBELL_ID, 1), key="k"))
    assert isinstance(retry, Placed) and retry.order.id == first.order.id
    assert [c.order_id for c in world.gateway.charges] == [first.order.id] * 2
    assert len(world.store.outbox) == 1


async def test_a_refused_line_frees_the_key_for_a_corrected_request() -> None:
    world = make_world()
    refused = await world.service.place_order(place((SOLD_OUT_ROPE_ID, 1), key="k"))
    assert isinstance(refused, LinesUnavailable)
    # nothing was kept under the key, so the same key works once the request is valid
    corrected = await world.service.place_order(place((DUMBBELL_ID, 1), key="k"))
    assert isinstance(corrected, Placed)


async def test_a_repeat_arriving_while_the_first_is_paying_answers_what_the_first_answers() -> None:
    world = make_world()
    gate = asyncio.Event()
    real_charge = world.gateway.charge

    async def slow_charge(request):  # type: ignore[no-untyped-def]
        await gate.wait()
        return await real_charge(request)

    world.gateway.charge = slow_charge  # type: ignore[method-assign]
    world.service.policy = type(world.service.policy)(replay_wait_seconds=2,
                                                      replay_poll_seconds=0.01)
    first = asyncio.create_task(world.service.place_order(place((DUMBBELL_ID, 1), key="k")))
    await asyncio.sleep(0.02)
    second = asyncio.create_task(world.service.place_order(place((DUMBBELL_ID, 1), key="k")))
    await asyncio.sleep(0.05)
    gate.set()
    one, two = await asyncio.gather(first, second)
    assert isinstance(one, Placed) and isinstance(two, Placed)
    assert one.order.id == two.order.id and len(world.gateway.charges) == 1


async def test_an_order_the_reconciler_placed_while_its_charge_answered_is_placed_once() -> None:
    world = make_world()
    real_charge = world.gateway.charge

    async def charge_then_reconciler_wins(request):  # type: ignore[no-untyped-def]
        outcome = await real_charge(request)
        world.clock.advance(world.service.policy.reconcile_grace_seconds + 1)
        assert (await world.service.reconcile()).placed == 1  # it found the charge first
        return outcome

    world.gateway.charge = charge_then_reconciler_wins  # type: ignore[method-assign]
    result = await world.service.place_order(place((DUMBBELL_ID, 1)))
    assert isinstance(result, Placed) and result.order.status is OrderStatus.PLACED
    assert [e.type for e in world.store.outbox] == ["order.placed"]  # one event, not two
    assert world.store.orders[result.order.id].version == 2
    assert world.gateway.refunds == []


async def test_an_approved_charge_for_an_order_failed_meanwhile_is_refunded_not_placed() -> None:
    world = make_world()
    real_charge = world.gateway.charge

    async def charge_after_the_order_failed(request):  # type: ignore[no-untyped-def]
        outcome = await real_charge(request)
        stored = world.store.orders[request.order_id]
        stored.record_nothing_charged(world.clock())  # as a reconciler that gave up would
        return outcome

    world.gateway.charge = charge_after_the_order_failed  # type: ignore[method-assign]
    result = await world.service.place_order(place((DUMBBELL_ID, 1)))
    assert isinstance(result, PaymentUnavailable)
    assert world.store.orders[result.order.id].status is OrderStatus.PAYMENT_UNAVAILABLE
    assert world.store.outbox == []  # no order.placed for an order that is not placed
    assert world.gateway.refunds == [p.id for p in world.gateway.payments.values()]

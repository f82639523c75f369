"""The orders application service: one method per command, shared by REST, gRPC and consumers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from orders.application.envelopes import to_envelope
from orders.application.ports import (
    Approved,
    ChargeRequest,
    Clock,
    Declined,
    KeyClaim,
    NotFound,
    Page,
    PaymentGateway,
    Refunded,
    RefundRefused,
    StorageUnavailable,
    Unavailable,
    UnitOfWork,
    UnitOfWorkFactory,
)
from orders.application.results import (
    Cancelled,
    CancelOrderResult,
    CancelRefused,
    IdempotencyKeyReused,
    LineProblem,
    LinesUnavailable,
    OrderNotFound,
    PaymentDeclined,
    PaymentUnavailable,
    Placed,
    PlaceOrderResult,
    ReconcileReport,
    RefundUnavailable,
)
from orders.domain.commands import CancelOrder, FollowDelivery, PlaceOrder, ReplicateProduct
from orders.domain.order import (
    CANCEL_REASONS,
    CancelDecision,
    DeliveryUpdate,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
)
from orders.domain.product import Availability, describe

log = logging.getLogger(__name__)

DELIVERY_CONSUMER = "orders-delivery"
CATALOG_CONSUMER = "orders-catalog"


class UnknownOrder(Exception):
    """Delivery news about an order this service never had: an operator must look at it."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who asks to see an order: its customer sees it, a seller sees every order."""

    subject: str
    is_seller: bool = False


@dataclass(frozen=True, slots=True)
class Policy:
    """Timings of the payment flow (settings feed them; tests shorten them)."""

    reconcile_grace_seconds: float = 15.0
    """A pending order younger than this may still be inside its request: leave it alone."""
    reconcile_settle_seconds: float = 30.0
    """'The provider has no such payment' is final only after this long (late arrivals)."""
    replay_wait_seconds: float = 6.0
    """A repeated request waits this long for the first one to finish paying."""
    replay_poll_seconds: float = 0.05
    pending_retry_after: int = 2
    """Retry-After when the answer is 'still being confirmed'."""
    reconcile_batch: int = 50


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


class OrdersService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        gateway: PaymentGateway,
        *,
        clock: Clock = _utc_now,
        new_id: Callable[[], str] = _new_id,
        policy: Policy | None = None,
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._new_id = new_id
        self.policy = policy or Policy()

    # --- PlaceOrder --------------------------------------------------------------------------

    async def place_order(self, cmd: PlaceOrder) -> PlaceOrderResult:
        """Validate against the replica, persist PAYMENT_PENDING, pay, then place or fail."""
        order_id = self._new_id()
        earlier: str | None = None
        async with self._uow() as uow:
            if cmd.idempotency_key is not None:
                claim = await uow.idempotency.claim(cmd.customer_id, cmd.idempotency_key,
                                                    cmd.fingerprint, order_id)
                if claim.claim is KeyClaim.OTHER_REQUEST:
                    return IdempotencyKeyReused(cmd.idempotency_key)
                if claim.claim is KeyClaim.SAME_REQUEST:
                    earlier = claim.order_id
            if earlier is None:
                products = await uow.products.get_many([line.product_id for line in cmd.lines])
                problems: list[LineProblem] = []
                lines: list[OrderLine] = []
                for index, wanted in enumerate(cmd.lines):
                    product = products.get(wanted.product_id)
                    availability = (product.availability(wanted.quantity) if product is not None
                                    else Availability.UNKNOWN)
                    if product is None or availability is not Availability.AVAILABLE:
                        problems.append(LineProblem(index, wanted.product_id, availability,
                                                    describe(availability, product, wanted.quantity)))
                        continue
                    lines.append(OrderLine(product.id, product.name, product.price, wanted.quantity))
                if problems:
                    return LinesUnavailable(tuple(problems))  # rolls back the key claim too
                order = Order.start(order_id=order_id, customer_id=cmd.customer_id, lines=lines,
                                    shipping_address=cmd.shipping_address, at=self._clock(),
                                    customer_email=cmd.customer_email, locale=cmd.locale)
                await uow.orders.add(order)
                await uow.commit()
        if earlier is not None:
            return await self._replay(earlier, cmd)
        return await self._pay(order, cmd.card_number)

    async def _pay(self, order: Order, card_number: str) -> PlaceOrderResult:
        outcome = await self._gateway.charge(ChargeRequest(
            order_id=order.id, amount=order.total, card_number=card_number,
            description=f"fitshop order {order.id}"))
        match outcome:
            case Approved(payment=payment):
                return await self._settle_approved(order, payment)
            case Declined(payment=payment):
                async with self._uow() as uow:
                    current = await self._locked(uow, order.id)
                    if current.awaits_payment:
                        current.record_declined_payment(payment, self._clock())
                        await uow.orders.save(current)
                        await uow.commit()
                    return self._result_for(current)
            case Unavailable(retry_after=retry_after, outcome_unknown=unknown, reason=reason):
                log.warning("payment unavailable", extra={"order_id": order.id, "reason": reason,
                                                          "outcome_unknown": unknown})
                try:
                    async with self._uow() as uow:
                        current = await self._locked(uow, order.id)
                        if current.status is OrderStatus.PAYMENT_PENDING:
                            current.record_payment_unavailable(outcome_unknown=unknown,
                                                               at=self._clock())
                            await uow.orders.save(current)
                            await uow.commit()
                except StorageUnavailable:
                    # Still PAYMENT_PENDING: the reconciler asks the provider after the grace time.
                    return PaymentUnavailable(order, retry_after, outcome_unknown=True)
                if current.status is OrderStatus.PAYMENT_UNAVAILABLE:
                    return PaymentUnavailable(current, retry_after, current.payment_outcome_unknown)
                return self._result_for(current)

    async def _settle_approved(self, order: Order, payment: Payment) -> PlaceOrderResult:
        """Place the order with its payment in one transaction, or refund a payment nobody can take.

        Usually nothing touched the order while it was paid, so it is placed without reading it
        again (a retry or the reconciler would have moved its version); otherwise the stored,
        locked order decides.
        """
        try:
            async with self._uow() as uow:
                placed = await self._place(uow, order, payment, expected_version=order.version)
                if placed is not None:
                    return placed
                current = await self._locked(uow, order.id)
                if (placed := await self._place(uow, current, payment)) is not None:
                    return placed
                if current.payment is not None and current.payment.id == payment.id:
                    return self._result_for(current)  # the reconciler got there first
                await uow.refunds_due.add(current.id, payment)
                await uow.commit()
        except StorageUnavailable:
            # Charged but not recorded: the order stays PAYMENT_PENDING and the reconciler,
            # asking the provider by the order id, places it later (invariant 1 of DESIGN §4).
            log.warning("approved payment not recorded yet", extra={"order_id": order.id})
            return PaymentUnavailable(order, self.policy.pending_retry_after, outcome_unknown=True)
        log.error("approved payment cannot be taken by its order; refunding",
                  extra={"order_id": order.id, "payment_id": payment.id})
        await self._refund_due(payment)
        return self._result_for(current)

    async def _place(self, uow: UnitOfWork, order: Order, payment: Payment, *,
                     expected_version: int | None = None) -> Placed | None:
        """PLACED with its payment and order.placed, committed; None if `order` cannot take the
        payment or (optimistic, with `expected_version`) the stored order moved meanwhile."""
        if not order.can_accept(payment):
            return None
        order.record_approved_payment(payment, self._clock())
        if not await uow.orders.save(order, expected_version=expected_version):
            return None
        uow.publish(*(to_envelope(e) for e in order.events))
        await uow.commit()
        return Placed(order)

    async def _replay(self, order_id: str, cmd: PlaceOrder) -> PlaceOrderResult:
        """The same request again: answer as the first did, or retry a payment that was busy."""
        deadline = asyncio.get_running_loop().time() + self.policy.replay_wait_seconds
        saw_pending = False
        while True:
            async with self._uow() as uow:
                order = await self._locked(uow, order_id)
                if order.can_retry_payment and not saw_pending:
                    order.retry_payment(self._clock())
                    await uow.orders.save(order)
                    await uow.commit()
                    return await self._pay(order, cmd.card_number)
            if order.status is not OrderStatus.PAYMENT_PENDING:
                return self._result_for(order)
            # The first request is paying right now: its answer is ours too.
            saw_pending = True
            if asyncio.get_running_loop().time() >= deadline:
                return self._result_for(order)
            await asyncio.sleep(self.policy.replay_poll_seconds)

    def _result_for(self, order: Order) -> PlaceOrderResult:
        """The answer POST /orders gives for an order in this state."""
        match order.status:
            case OrderStatus.PAYMENT_DECLINED:
                return PaymentDeclined(order)
            case OrderStatus.PAYMENT_PENDING:
                return PaymentUnavailable(order, self.policy.pending_retry_after, True)
            case OrderStatus.PAYMENT_UNAVAILABLE:
                return PaymentUnavailable(order, self.policy.pending_retry_after,
                                          order.payment_outcome_unknown)
            case _:
                return Placed(order)

    # --- CancelOrder -------------------------------------------------------------------------

    async def cancel_order(self, cmd: CancelOrder) -> CancelOrderResult:
        """Refund, then CANCELLED with its event; the row stays locked so delivery news waits."""
        async with self._uow() as uow:
            order = await uow.orders.get(cmd.order_id, lock=True)
            if order is None or order.customer_id != cmd.customer_id:
                return OrderNotFound(cmd.order_id)
            decision = order.cancellation()
            if decision is CancelDecision.ALREADY_CANCELLED:
                return Cancelled(order)
            if decision is not CancelDecision.REFUND_THEN_CANCEL:
                return CancelRefused(order, decision, CANCEL_REASONS[decision])
            assert order.payment is not None  # placed orders always carry their payment
            outcome = await self._gateway.refund(order.payment.id, cmd.reason)
            match outcome:
                case Refunded(payment=refund):
                    order.cancel(refund, cmd.reason, self._clock())
                    await uow.orders.save(order)
                    uow.publish(*(to_envelope(e) for e in order.events))
                    await uow.commit()
                    return Cancelled(order)
                case Unavailable(retry_after=retry_after, reason=reason):
                    return RefundUnavailable(order, retry_after, reason)
                case RefundRefused(reason=reason):
                    log.error("provider refused a refund", extra={"order_id": order.id,
                                                                  "reason": reason})
                    return RefundUnavailable(order, self.policy.pending_retry_after, reason)

    # --- queries -----------------------------------------------------------------------------

    async def get_order(self, order_id: str, viewer: Viewer) -> Order | None:
        """The order if `viewer` may see it (someone else's order does not exist for them)."""
        async with self._uow() as uow:
            order = await uow.orders.get(order_id)
        if order is None or not (viewer.is_seller or order.customer_id == viewer.subject):
            return None
        return order

    async def list_orders(self, customer_id: str, limit: int,
                          after: tuple[datetime, str] | None = None) -> Page:
        async with self._uow() as uow:
            return await uow.orders.list_for_customer(customer_id, limit, after)

    # --- events from other contexts ----------------------------------------------------------

    async def replicate_product(self, cmd: ReplicateProduct) -> bool:
        """Keep the newest version of a catalog product; answers whether the replica changed."""
        async with self._uow() as uow:
            changed = False
            if await uow.claim_event(CATALOG_CONSUMER, cmd.event_id):
                changed = await uow.products.put_if_newer(cmd.product)
            await uow.commit()
            return changed

    async def follow_delivery(self, cmd: FollowDelivery) -> DeliveryUpdate:
        """Move the order with its delivery, once per event and never backwards."""
        async with self._uow() as uow:
            if not await uow.claim_event(DELIVERY_CONSUMER, cmd.event_id):
                return DeliveryUpdate.STALE
            order = await uow.orders.get(cmd.order_id, lock=True)
            if order is None:
                raise UnknownOrder(f"delivery {cmd.delivery_id} names unknown order {cmd.order_id}")
            update = order.follow_delivery(cmd.status, cmd.delivery_version, self._clock())
            if update is DeliveryUpdate.APPLIED:
                await uow.orders.save(order)
            await uow.commit()
            return update

    # --- reconciliation ----------------------------------------------------------------------

    async def reconcile(self) -> ReconcileReport:
        """One pass: settle open payment outcomes by asking the provider; retry due refunds."""
        now = self._clock()
        async with self._uow() as uow:
            open_ids = await uow.orders.awaiting_payment(
                now - timedelta(seconds=self.policy.reconcile_grace_seconds),
                self.policy.reconcile_batch)
            refunds = await uow.refunds_due.pending(self.policy.reconcile_batch)
        placed = failed = left = refunded = 0
        for order_id in open_ids:
            outcome = await self._reconcile_one(order_id)
            placed += outcome == "placed"
            failed += outcome == "failed"
            left += outcome == "open"
            refunded += outcome == "refunded"
        for payment in refunds:
            refunded += await self._refund_due(payment)
        return ReconcileReport(placed=placed, failed=failed, refunded=refunded, left_open=left)

    async def _reconcile_one(self, order_id: str) -> str:
        refund: Payment | None = None
        async with self._uow() as uow:
            order = await uow.orders.get(order_id, lock=True, skip_locked=True)
            if order is None or not order.awaits_payment:
                return "skipped"  # another replica or the request itself is on it
            now = self._clock()
            age = (now - order.updated_at).total_seconds()
            if order.status is OrderStatus.PAYMENT_PENDING and age < self.policy.reconcile_grace_seconds:
                return "open"
            found = await self._gateway.find(order.id)
            match found:
                case Approved(payment=payment) if order.can_accept(payment):
                    order.record_approved_payment(payment, now)
                    uow.publish(*(to_envelope(e) for e in order.events))
                    outcome = "placed"
                case Approved(payment=payment):
                    # Charged, but not what this order asked for: fail the order, refund the money.
                    await uow.refunds_due.add(order.id, payment)
                    order.record_nothing_charged(now)
                    refund, outcome = payment, "refunded"
                case Declined(payment=payment):
                    order.record_declined_payment(payment, now)
                    outcome = "failed"
                case Refunded():
                    order.record_nothing_charged(now)
                    outcome = "failed"
                case NotFound() if age >= self.policy.reconcile_settle_seconds:
                    order.record_nothing_charged(now)
                    outcome = "failed"
                case NotFound() | Unavailable():
                    return "open"
            await uow.orders.save(order)
            await uow.commit()
        log.info("payment outcome reconciled", extra={"order_id": order_id, "outcome": outcome})
        if refund is not None:
            await self._refund_due(refund)
        return outcome

    async def _refund_due(self, payment: Payment) -> int:
        outcome = await self._gateway.refund(payment.id, "order could not be placed")
        if isinstance(outcome, Unavailable):
            return 0  # stays due; the next pass tries again
        async with self._uow() as uow:
            await uow.refunds_due.done(payment.id)
            await uow.commit()
        return 1

    async def run_reconciler(self, stop: asyncio.Event, interval: float) -> None:
        """Background loop (app.state.workers): one pass every `interval` seconds until `stop`."""
        while not stop.is_set():
            try:
                report = await self.reconcile()
                if report.placed or report.failed or report.refunded:
                    log.info("reconciled", extra={"placed": report.placed, "failed": report.failed,
                                                  "refunded": report.refunded})
            except StorageUnavailable as exc:
                log.warning("reconciler cannot reach the database: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    # --- internals ---------------------------------------------------------------------------

    @staticmethod
    async def _locked(uow: UnitOfWork, order_id: str) -> Order:
        order = await uow.orders.get(order_id, lock=True)
        if order is None:
            raise LookupError(f"order {order_id} vanished")  # orders are never deleted
        return order

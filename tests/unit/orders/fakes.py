"""In-memory fakes of the orders service's own ports (unit of work, repositories, payment gateway)."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from fitshop_common.events import Envelope
from orders.application.ports import (
    Approved,
    ChargeOutcome,
    ChargeRequest,
    Declined,
    IdempotencyKeys,
    KeyClaim,
    KeyClaimResult,
    LookupOutcome,
    NotFound,
    OrderRepository,
    Page,
    PaymentGateway,
    ProductReplica,
    Refunded,
    RefundOutcome,
    RefundsDue,
    Unavailable,
    UnitOfWork,
)
from orders.application.service import OrdersService, Policy
from orders.domain.money import Money
from orders.domain.order import Order, OrderStatus, Payment, PaymentStatus
from orders.domain.product import Product

DUMBBELL_ID = "0b5e7a52-2f37-4a0e-9d7c-3e1f00000001"
KETTLEBELL_ID = "0b5e7a52-2f37-4a0e-9d7c-3e1f00000002"
YOGA_MAT_ID = "0b5e7a52-2f37-4a0e-9d7c-3e1f00000003"
RETIRED_BAR_ID = "0b5e7a52-2f37-4a0e-9d7c-3e1f00000004"
SOLD_OUT_ROPE_ID = "0b5e7a52-2f37-4a0e-9d7c-3e1f00000005"


def catalog() -> list[Product]:
    """A small, readable catalog: two dumbbell-ish things, a mat, a retired and a sold-out item."""
    return [
        Product(DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(35_000), stock=50, version=1),
        Product(KETTLEBELL_ID, "KETTLEBELL-16KG", "Kettlebell 16 kg", Money(52_000), stock=5,
                version=3),
        Product(YOGA_MAT_ID, "YOGA-MAT-6MM", "Yoga mat 6 mm", Money(19_900), stock=100, version=1),
        Product(RETIRED_BAR_ID, "EZ-BAR", "EZ curl bar", Money(80_000), stock=3, version=4,
                deleted=True),
        Product(SOLD_OUT_ROPE_ID, "JUMP-ROPE", "Jump rope", Money(9_000), stock=0, version=2),
    ]


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Store:
    """The committed state every fake unit of work reads and writes."""

    orders: dict[str, Order] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    keys: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    inbox: set[tuple[str, str]] = field(default_factory=set)
    outbox: list[Envelope] = field(default_factory=list)
    refunds_due: dict[str, tuple[Payment, bool]] = field(default_factory=dict)
    commits: int = 0


def _stored(order: Order) -> Order:
    clone = copy.deepcopy(order)
    clone.events = []  # events leave through the outbox, they are not part of the row
    return clone


class FakeOrders(OrderRepository):
    def __init__(self, staged: Store) -> None:
        self._s = staged

    async def add(self, order: Order) -> None:
        assert order.id not in self._s.orders
        self._s.orders[order.id] = _stored(order)

    async def get(self, order_id: str, *, lock: bool = False,
                  skip_locked: bool = False) -> Order | None:
        order = self._s.orders.get(order_id)
        return _stored(order) if order else None

    async def save(self, order: Order, *, expected_version: int | None = None) -> bool:
        assert order.id in self._s.orders
        if expected_version is not None and self._s.orders[order.id].version != expected_version:
            return False
        self._s.orders[order.id] = _stored(order)
        return True

    async def list_for_customer(self, customer_id: str, limit: int,
                                after: tuple[datetime, str] | None) -> Page:
        mine = sorted((o for o in self._s.orders.values() if o.customer_id == customer_id),
                      key=lambda o: (o.created_at, o.id), reverse=True)
        if after is not None:
            mine = [o for o in mine if (o.created_at, o.id) < after]
        page = [_stored(o) for o in mine[:limit]]
        more = len(mine) > limit
        return Page(page, (page[-1].created_at, page[-1].id) if more else None)

    async def awaiting_payment(self, pending_before: datetime, limit: int) -> list[str]:
        due = [o for o in self._s.orders.values()
               if (o.status is OrderStatus.PAYMENT_PENDING and o.updated_at < pending_before)
               or (o.status is OrderStatus.PAYMENT_UNAVAILABLE and o.payment_outcome_unknown)]
        return [o.id for o in sorted(due, key=lambda o: o.updated_at)][:limit]


class FakeReplica(ProductReplica):
    def __init__(self, staged: Store) -> None:
        self._s = staged

    async def get_many(self, product_ids: list[str]) -> dict[str, Product]:
        return {i: self._s.products[i] for i in product_ids if i in self._s.products}

    async def put_if_newer(self, product: Product) -> bool:
        if product.supersedes(self._s.products.get(product.id)):
            self._s.products[product.id] = product
            return True
        return False


class FakeKeys(IdempotencyKeys):
    def __init__(self, staged: Store) -> None:
        self._s = staged

    async def claim(self, customer_id: str, key: str, fingerprint: str,
                    order_id: str) -> KeyClaimResult:
        seen = self._s.keys.get((customer_id, key))
        if seen is None:
            self._s.keys[(customer_id, key)] = (fingerprint, order_id)
            return KeyClaimResult(KeyClaim.NEW, order_id)
        same = seen[0] == fingerprint
        return KeyClaimResult(KeyClaim.SAME_REQUEST if same else KeyClaim.OTHER_REQUEST, seen[1])


class FakeRefundsDue(RefundsDue):
    def __init__(self, staged: Store) -> None:
        self._s = staged

    async def add(self, order_id: str, payment: Payment) -> None:
        self._s.refunds_due.setdefault(payment.id, (payment, False))

    async def pending(self, limit: int) -> list[Payment]:
        return [p for p, done in self._s.refunds_due.values() if not done][:limit]

    async def done(self, payment_id: str) -> None:
        payment, _ = self._s.refunds_due[payment_id]
        self._s.refunds_due[payment_id] = (payment, True)


class FakeUnitOfWork(UnitOfWork):
    """Works on a copy of the store; commit swaps it in, anything else throws it away."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._events: list[Envelope] = []

    async def __aenter__(self) -> Self:
        self._staged = copy.deepcopy(self._store)
        self._events = []
        self.orders = FakeOrders(self._staged)
        self.products = FakeReplica(self._staged)
        self.idempotency = FakeKeys(self._staged)
        self.refunds_due = FakeRefundsDue(self._staged)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._events = []

    def publish(self, *events: Envelope) -> None:
        self._events.extend(events)

    async def claim_event(self, consumer: str, event_id: str) -> bool:
        if (consumer, event_id) in self._staged.inbox:
            return False
        self._staged.inbox.add((consumer, event_id))
        return True

    async def commit(self) -> None:
        self._staged.outbox.extend(self._events)
        self._staged.commits = self._store.commits + 1
        for name in ("orders", "products", "keys", "inbox", "outbox", "refunds_due", "commits"):
            setattr(self._store, name, getattr(self._staged, name))
        self._events = []


class FakePaymentGateway(PaymentGateway):
    """A provider with scripted answers that remembers what it charged and refunded.

    By default any card is approved, except ...0002 (insufficient funds), like the real mock.
    `next_charges` queues outcomes for the coming charges; `charge_then_fail` keeps the
    payment (as a provider that charged before timing out) but answers Unavailable.
    """

    def __init__(self) -> None:
        self.payments: dict[str, Payment] = {}  # by idempotency key (the order id)
        self.charges: list[ChargeRequest] = []
        self.refunds: list[str] = []
        self.next_charges: list[Unavailable | None] = []
        self.charge_then_fail = False
        self.lookup_unavailable = False
        self.refund_unavailable = False
        self._ids = itertools.count(1)

    async def charge(self, request: ChargeRequest) -> ChargeOutcome:
        self.charges.append(request)
        scripted = self.next_charges.pop(0) if self.next_charges else None
        if scripted is not None:
            return scripted
        if request.order_id in self.payments:  # idempotent replay
            existing = self.payments[request.order_id]
            return Approved(existing) if existing.status is PaymentStatus.APPROVED else Declined(existing)
        if request.card_number.endswith("0002"):
            payment = Payment(f"pay_{next(self._ids):04d}", PaymentStatus.DECLINED, request.amount,
                              decline_code="insufficient_funds", message="Insufficient funds")
            self.payments[request.order_id] = payment
            if self.charge_then_fail:
                return Unavailable("timed out", retry_after=3, outcome_unknown=True)
            return Declined(payment)
        payment = Payment(f"pay_{next(self._ids):04d}", PaymentStatus.APPROVED, request.amount,
                          card_last4=request.card_number[-4:])
        self.payments[request.order_id] = payment
        if self.charge_then_fail:
            return Unavailable("timed out", retry_after=3, outcome_unknown=True)
        return Approved(payment)

    async def find(self, idempotency_key: str) -> LookupOutcome:
        if self.lookup_unavailable:
            return Unavailable("down", retry_after=3)
        payment = self.payments.get(idempotency_key)
        if payment is None:
            return NotFound()
        match payment.status:
            case PaymentStatus.APPROVED:
                return Approved(payment)
            case PaymentStatus.DECLINED:
                return Declined(payment)
            case PaymentStatus.CANCELLED:
                return Refunded(payment)

    async def refund(self, payment_id: str, reason: str | None) -> RefundOutcome:
        if self.refund_unavailable:
            return Unavailable("down", retry_after=4)
        self.refunds.append(payment_id)
        for key, payment in self.payments.items():
            if payment.id == payment_id:
                refunded = Payment(payment.id, PaymentStatus.CANCELLED, payment.amount,
                                   card_last4=payment.card_last4)
                self.payments[key] = refunded
                return Refunded(refunded)
        raise AssertionError(f"refund of unknown payment {payment_id}")

    def approved(self) -> list[Payment]:
        return [p for p in self.payments.values() if p.status is PaymentStatus.APPROVED]


@dataclass
class World:
    """A service wired to fakes, with handles on each fake."""

    service: OrdersService
    store: Store
    gateway: FakePaymentGateway
    clock: Clock


def make_world(policy: Policy | None = None) -> World:
    store = Store(products={p.id: p for p in catalog()})
    gateway = FakePaymentGateway()
    clock = Clock()
    service = OrdersService(lambda: FakeUnitOfWork(store), gateway, clock=clock,
                            policy=policy or Policy(replay_wait_seconds=0.2, replay_poll_seconds=0.01))
    return World(service, store, gateway, clock)

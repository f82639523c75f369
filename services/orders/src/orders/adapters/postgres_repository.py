"""PostgreSQL repositories (asyncpg) for orders, payments, the product replica, keys and due refunds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from orders.application.ports import (
    IdempotencyKeys,
    KeyClaim,
    KeyClaimResult,
    OrderRepository,
    Page,
    ProductReplica,
    RefundsDue,
)
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

_SELECT_ORDER = """
SELECT o.*, p.id AS payment_id, p.status AS payment_status, p.amount AS payment_amount,
       p.currency AS payment_currency, p.card_last4, p.decline_code, p.message AS payment_message
FROM orders o LEFT JOIN payments p ON p.order_id = o.id
"""


def _order_from(row: asyncpg.Record) -> Order:
    payment = None
    if row["payment_id"] is not None:
        payment = Payment(id=row["payment_id"], status=PaymentStatus(row["payment_status"]),
                          amount=Money(row["payment_amount"], row["payment_currency"]),
                          card_last4=row["card_last4"], decline_code=row["decline_code"],
                          message=row["payment_message"])
    currency = row["currency"]
    return Order(
        id=str(row["id"]),
        customer_id=row["customer_id"],
        customer_email=row["customer_email"],
        locale=row["locale"],
        status=OrderStatus(row["status"]),
        version=row["version"],
        lines=tuple(
            OrderLine(product_id=line["product_id"], name=line["name"],
                      unit_price=Money(line["unit_price"], currency), quantity=line["quantity"])
            for line in row["lines"]
        ),
        total=Money(row["total_amount"], currency),
        shipping_address=ShippingAddress(**row["shipping_address"]),
        payment=payment,
        payment_outcome_unknown=row["payment_outcome_unknown"],
        delivery_version=row["delivery_version"],
        delivery_status=DeliveryStatus(row["delivery_status"]) if row["delivery_status"] else None,
        cancel_reason=row["cancel_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _lines(order: Order) -> list[dict[str, Any]]:
    return [{"product_id": line.product_id, "name": line.name,
             "unit_price": line.unit_price.amount, "quantity": line.quantity}
            for line in order.lines]


def _address(order: Order) -> dict[str, str]:
    a = order.shipping_address
    return {"recipient": a.recipient, "line1": a.line1, "city": a.city,
            "postal_code": a.postal_code, "phone": a.phone}


# $1..$9: id, status, version, payment_outcome_unknown, delivery_version, delivery_status,
# cancel_reason, updated_at, expected version (NULL: the caller holds the row lock).
_UPDATE_ORDER = """
UPDATE orders SET status = $2, version = $3, payment_outcome_unknown = $4, delivery_version = $5,
       delivery_status = $6, cancel_reason = $7, updated_at = $8
WHERE id = $1 AND ($9::integer IS NULL OR version = $9)
RETURNING id"""

_INSERT_ORDER = """
INSERT INTO orders (id, customer_id, customer_email, locale, status, version, total_amount,
    currency, lines, shipping_address, payment_outcome_unknown, delivery_version,
    delivery_status, cancel_reason, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
RETURNING id"""


def _upsert_payment(first: int) -> str:
    """The payment record of the order row the CTE `saved` wrote; its 7 values from `$first` on."""
    values = ", ".join(f"${n}" for n in range(first, first + 7))
    return f"""
INSERT INTO payments (order_id, id, status, amount, currency, card_last4, decline_code, message)
SELECT saved.id, {values} FROM saved
ON CONFLICT (order_id) DO UPDATE SET id = EXCLUDED.id, status = EXCLUDED.status,
    amount = EXCLUDED.amount, currency = EXCLUDED.currency,
    card_last4 = COALESCE(EXCLUDED.card_last4, payments.card_last4),
    decline_code = EXCLUDED.decline_code, message = EXCLUDED.message, updated_at = now()"""


# One statement writes the row and its payment record: one round trip, and the payment is
# written only when the row was (an optimistic save that lost writes neither).
_SAVE_PAID = f"WITH saved AS ({_UPDATE_ORDER}), paid AS ({_upsert_payment(10)}) SELECT count(*) FROM saved"
_ADD_PAID = f"WITH saved AS ({_INSERT_ORDER}), paid AS ({_upsert_payment(17)}) SELECT count(*) FROM saved"


def _payment_values(payment: Payment) -> tuple[object, ...]:
    return (payment.id, payment.status.value, payment.amount.amount, payment.amount.currency,
            payment.card_last4, payment.decline_code, payment.message)


class PostgresOrders(OrderRepository):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, order: Order) -> None:
        row = (order.id, order.customer_id, order.customer_email, order.locale,
               order.status.value, order.version, order.total.amount, order.total.currency,
               _lines(order), _address(order), order.payment_outcome_unknown,
               order.delivery_version,
               order.delivery_status.value if order.delivery_status else None,
               order.cancel_reason, order.created_at, order.updated_at)
        if order.payment is None:
            await self._conn.execute(_INSERT_ORDER, *row)
        else:
            await self._conn.execute(_ADD_PAID, *row, *_payment_values(order.payment))

    async def get(self, order_id: str, *, lock: bool = False,
                  skip_locked: bool = False) -> Order | None:
        sql = _SELECT_ORDER + " WHERE o.id = $1"
        if lock:
            sql += " FOR UPDATE OF o SKIP LOCKED" if skip_locked else " FOR UPDATE OF o"
        row = await self._conn.fetchrow(sql, order_id)
        return _order_from(row) if row is not None else None

    async def save(self, order: Order, *, expected_version: int | None = None) -> bool:
        state = (order.id, order.status.value, order.version, order.payment_outcome_unknown,
                 order.delivery_version,
                 order.delivery_status.value if order.delivery_status else None,
                 order.cancel_reason, order.updated_at, expected_version)
        if order.payment is None:
            return await self._conn.fetchval(_UPDATE_ORDER, *state) is not None
        return bool(await self._conn.fetchval(_SAVE_PAID, *state, *_payment_values(order.payment)))

    async def list_for_customer(self, customer_id: str, limit: int,
                                after: tuple[datetime, str] | None) -> Page:
        if after is None:
            rows = await self._conn.fetch(
                _SELECT_ORDER + " WHERE o.customer_id = $1"
                " ORDER BY o.created_at DESC, o.id DESC LIMIT $2", customer_id, limit + 1)
        else:
            rows = await self._conn.fetch(
                _SELECT_ORDER + " WHERE o.customer_id = $1 AND (o.created_at, o.id) < ($2, $3)"
                " ORDER BY o.created_at DESC, o.id DESC LIMIT $4",
                customer_id, after[0], uuid.UUID(after[1]), limit + 1)
        orders = [_order_from(row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(orders, (orders[-1].created_at, orders[-1].id) if more and orders else None)

    async def awaiting_payment(self, pending_before: datetime, limit: int) -> list[str]:
        rows = await self._conn.fetch(
            """SELECT id FROM orders
               WHERE (status = 'PAYMENT_PENDING' AND updated_at < $1)
                  OR (status = 'PAYMENT_UNAVAILABLE' AND payment_outcome_unknown)
               ORDER BY updated_at LIMIT $2""",
            pending_before, limit)
        return [str(row["id"]) for row in rows]


class PostgresProductReplica(ProductReplica):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get_many(self, product_ids: list[str]) -> dict[str, Product]:
        rows = await self._conn.fetch(
            "SELECT * FROM products WHERE id = ANY($1::uuid[])", product_ids)
        return {
            str(r["id"]): Product(id=str(r["id"]), sku=r["sku"], name=r["name"],
                                  price=Money(r["price"], r["currency"]), stock=r["stock"],
                                  version=r["version"], deleted=r["deleted"],
                                  category=r["category"])
            for r in rows
        }

    async def put_if_newer(self, product: Product) -> bool:
        # The WHERE of the upsert is the version rule: equal or older announcements lose.
        status = await self._conn.execute(
            """INSERT INTO products (id, sku, name, category, price, currency, stock, version,
                   deleted, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
               ON CONFLICT (id) DO UPDATE SET sku = EXCLUDED.sku, name = EXCLUDED.name,
                   category = EXCLUDED.category, price = EXCLUDED.price,
                   currency = EXCLUDED.currency, stock = EXCLUDED.stock,
                   version = EXCLUDED.version, deleted = EXCLUDED.deleted, updated_at = now()
               WHERE products.version < EXCLUDED.version""",
            product.id, product.sku, product.name, product.category, product.price.amount,
            product.price.currency, product.stock, product.version, product.deleted,
        )
        return bool(status == "INSERT 0 1")


class PostgresIdempotencyKeys(IdempotencyKeys):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def claim(self, customer_id: str, key: str, fingerprint: str,
                    order_id: str) -> KeyClaimResult:
        # A concurrent claim of the same key waits here for the first transaction to end.
        inserted = await self._conn.fetchval(
            """INSERT INTO idempotency_keys (customer_id, key, fingerprint, order_id)
               VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true""",
            customer_id, key, fingerprint, order_id)
        if inserted:
            return KeyClaimResult(KeyClaim.NEW, order_id)
        row = await self._conn.fetchrow(
            "SELECT fingerprint, order_id FROM idempotency_keys WHERE customer_id = $1 AND key = $2",
            customer_id, key)
        assert row is not None  # keys are never deleted while their order exists
        same = row["fingerprint"] == fingerprint
        return KeyClaimResult(KeyClaim.SAME_REQUEST if same else KeyClaim.OTHER_REQUEST,
                              str(row["order_id"]))


class PostgresRefundsDue(RefundsDue):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, order_id: str, payment: Payment) -> None:
        await self._conn.execute(
            """INSERT INTO refunds_due (payment_id, order_id, amount, currency)
               VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
            payment.id, order_id, payment.amount.amount, payment.amount.currency)

    async def pending(self, limit: int) -> list[Payment]:
        rows = await self._conn.fetch(
            """SELECT payment_id, amount, currency FROM refunds_due
               WHERE refunded_at IS NULL ORDER BY found_at LIMIT $1""", limit)
        return [Payment(id=r["payment_id"], status=PaymentStatus.APPROVED,
                        amount=Money(r["amount"], r["currency"])) for r in rows]

    async def done(self, payment_id: str) -> None:
        await self._conn.execute(
            "UPDATE refunds_due SET refunded_at = now() WHERE payment_id = $1", payment_id)

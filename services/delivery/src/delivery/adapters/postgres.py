"""PostgreSQL adapters: delivery repository, tombstones, unit of work and the queue reader."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from delivery.application.ports import (
    CancelledOrder,
    CancelledOrders,
    DeliveryQueue,
    DeliveryRepository,
    InvalidCursor,
    QueuePage,
    UnitOfWork,
)
from delivery.domain.delivery import Delivery
from delivery.domain.values import (
    Customer,
    DeliveryStatus,
    Line,
    Locale,
    Money,
    ShippingAddress,
)
from fitshop_common.inbox import claim
from fitshop_common.uow import PostgresUnitOfWork

# First half of the two-int advisory lock key: "per-order work in the delivery service".
_ORDER_LOCK_SPACE = 0x64656C

_COLUMNS = ("id, order_id, customer_id, customer_email, locale, status, lines, shipping_address,"
            " version, cancellation_refused_reason, created_at, updated_at")


def _lines_json(lines: tuple[Line, ...]) -> list[dict[str, Any]]:
    return [{"product_id": str(x.product_id), "name": x.name,
             "unit_price": {"amount": x.unit_price.amount, "currency": x.unit_price.currency},
             "quantity": x.quantity} for x in lines]


def _address_json(a: ShippingAddress) -> dict[str, str]:
    return {"recipient": a.recipient, "line1": a.line1, "city": a.city,
            "postal_code": a.postal_code, "phone": a.phone}


def _delivery(row: asyncpg.Record) -> Delivery:
    return Delivery(
        id=row["id"],
        order_id=row["order_id"],
        customer=Customer(row["customer_id"], row["customer_email"], Locale(row["locale"])),
        status=DeliveryStatus(row["status"]),
        lines=tuple(Line(UUID(x["product_id"]), x["name"],
                         Money(x["unit_price"]["amount"], x["unit_price"]["currency"]),
                         x["quantity"]) for x in row["lines"]),
        shipping_address=ShippingAddress(**row["shipping_address"]),
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        cancellation_refused_reason=row["cancellation_refused_reason"],
    )


class PostgresDeliveryRepository(DeliveryRepository):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, delivery: Delivery) -> None:
        await self._conn.execute(
            f"INSERT INTO deliveries ({_COLUMNS})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            delivery.id, delivery.order_id, delivery.customer.customer_id,
            delivery.customer.email, str(delivery.customer.locale), str(delivery.status),
            _lines_json(delivery.lines), _address_json(delivery.shipping_address),
            delivery.version, delivery.cancellation_refused_reason,
            delivery.created_at, delivery.updated_at,
        )

    async def get(self, delivery_id: UUID, *, for_update: bool = False) -> Delivery | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM deliveries WHERE id = $1{lock}", delivery_id)
        return _delivery(row) if row else None

    async def get_by_order(self, order_id: UUID, *, for_update: bool = False) -> Delivery | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT {_COLUMNS} FROM deliveries WHERE order_id = $1{lock}", order_id)
        return _delivery(row) if row else None

    async def save(self, delivery: Delivery) -> None:
        await self._conn.execute(
            "UPDATE deliveries SET status = $2, version = $3, cancellation_refused_reason = $4,"
            " updated_at = $5 WHERE id = $1",
            delivery.id, str(delivery.status), delivery.version,
            delivery.cancellation_refused_reason, delivery.updated_at,
        )


class PostgresCancelledOrders(CancelledOrders):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, tombstone: CancelledOrder) -> None:
        await self._conn.execute(
            "INSERT INTO cancelled_orders (order_id, customer_id, reason, cancelled_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING",
            tombstone.order_id, tombstone.customer_id, tombstone.reason, tombstone.cancelled_at,
        )

    async def get(self, order_id: UUID) -> CancelledOrder | None:
        row = await self._conn.fetchrow(
            "SELECT order_id, customer_id, reason, cancelled_at FROM cancelled_orders"
            " WHERE order_id = $1", order_id)
        return CancelledOrder(**dict(row)) if row else None

    async def note_late_placement(self, order_id: UUID, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE cancelled_orders SET late_placement_at = coalesce(late_placement_at, $2)"
            " WHERE order_id = $1", order_id, at)


class PostgresDeliveryUnitOfWork(PostgresUnitOfWork, UnitOfWork):
    def _open(self) -> None:
        self.deliveries = PostgresDeliveryRepository(self.conn)
        self.cancelled_orders = PostgresCancelledOrders(self.conn)

    async def claim(self, consumer: str, event_id: str) -> bool:
        return await claim(self.conn, consumer, event_id)

    async def lock_order(self, order_id: UUID) -> None:
        await self.conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))",
                                _ORDER_LOCK_SPACE, str(order_id))


class PostgresDeliveryQueue(DeliveryQueue):
    """Keyset pages over (created_at, id): stable while new deliveries keep arriving."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def page(self, status: DeliveryStatus | None, limit: int,
                   cursor: str | None) -> QueuePage:
        after = _decode_cursor(cursor) if cursor else None
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM deliveries"
            " WHERE ($1::text IS NULL OR status = $1)"
            "   AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))"
            " ORDER BY created_at, id LIMIT $4",
            str(status) if status else None,
            after[0] if after else None, after[1] if after else None, limit + 1,
        )
        items = [_delivery(r) for r in rows[:limit]]
        more = len(rows) > limit
        return QueuePage(items, _encode_cursor(items[-1]) if more and items else None)


def _encode_cursor(last: Delivery) -> str:
    raw = f"{last.created_at.isoformat()}|{last.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, delivery_id = raw.partition("|")
        return datetime.fromisoformat(at), UUID(delivery_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursor("The cursor is not one this service handed out.") from exc

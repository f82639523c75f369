"""Payments in a SQLite file, so they survive a restart of the mock (the local stack's DATA_DIR)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from payment_gateway.application.ports import DuplicatePayment, PaymentStore
from payment_gateway.domain.payment import DeclineCode, Payment, PaymentStatus

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_order ON payments (order_id);
"""

_TIMES = ("created_at", "approved_at", "cancelled_at")


def _encode(payment: Payment) -> str:
    body: dict[str, Any] = asdict(payment)
    for name in _TIMES:
        value = body[name]
        body[name] = value.isoformat() if value else None
    return json.dumps(body, ensure_ascii=False)


def _decode(text: str) -> Payment:
    body: dict[str, Any] = json.loads(text)
    for name in _TIMES:
        body[name] = datetime.fromisoformat(body[name]) if body[name] else None
    body["status"] = PaymentStatus(body["status"])
    body["decline_code"] = DeclineCode(body["decline_code"]) if body["decline_code"] else None
    return Payment(**body)


class SqlitePaymentStore(PaymentStore):
    """Synchronous sqlite3 calls on the event loop: each is a sub-millisecond local write (WAL,
    synchronous=NORMAL), cheaper than a thread hop, and the mock is never the bottleneck."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    async def add(self, payment: Payment) -> None:
        try:
            self._db.execute(
                "INSERT INTO payments (id, idempotency_key, order_id, body) VALUES (?, ?, ?, ?)",
                (payment.id, payment.idempotency_key, payment.order_id, _encode(payment)),
            )
        except sqlite3.IntegrityError as exc:
            raise DuplicatePayment(payment.id) from exc

    async def replace(self, payment: Payment) -> None:
        cursor = self._db.execute(
            "UPDATE payments SET body = ? WHERE id = ?", (_encode(payment), payment.id)
        )
        if cursor.rowcount != 1:
            raise KeyError(payment.id)

    async def get(self, payment_id: str) -> Payment | None:
        return self._one("SELECT body FROM payments WHERE id = ?", payment_id)

    async def by_idempotency_key(self, key: str) -> Payment | None:
        return self._one("SELECT body FROM payments WHERE idempotency_key = ?", key)

    async def by_order(self, order_id: str | None) -> list[Payment]:
        if order_id is None:
            rows = self._db.execute("SELECT body FROM payments ORDER BY seq").fetchall()
        else:
            rows = self._db.execute(
                "SELECT body FROM payments WHERE order_id = ? ORDER BY seq", (order_id,)
            ).fetchall()
        return [_decode(row[0]) for row in rows]

    async def clear(self) -> None:
        self._db.execute("DELETE FROM payments")

    def close(self) -> None:
        self._db.close()

    def _one(self, sql: str, value: str) -> Payment | None:
        row = self._db.execute(sql, (value,)).fetchone()
        return _decode(row[0]) if row else None

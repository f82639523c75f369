"""Readable test data and settings for orders drills: products, order bodies, catalog events."""

from __future__ import annotations

from typing import Any

import asyncpg

from fitshop_common.events import Envelope
from orders.adapters.postgres_repository import PostgresProductReplica
from orders.domain.money import Money
from orders.domain.product import Product
from orders.settings import OrdersSettings

DUMBBELL_ID = "0b5e7a52-2f37-4a0e-9d7c-3e1f00000001"
KETTLEBELL_ID = "0b5e7a52-2f37-4a0e-9d7c-3e1f00000002"
YOGA_MAT_ID = "0b5e7a52-2f37-4a0e-9d7c-3e1f00000003"

CATALOG = [
    Product(DUMBBELL_ID, "DUMBBELL-10KG", "Dumbbell 10 kg", Money(35_000), stock=500, version=1),
    Product(KETTLEBELL_ID, "KETTLEBELL-16KG", "Kettlebell 16 kg", Money(52_000), stock=5, version=1),
    Product(YOGA_MAT_ID, "YOGA-MAT-6MM", "Yoga mat 6 mm", Money(19_900), stock=100, version=1),
]


async def seed_replica(pool: asyncpg.Pool, products: list[Product] = CATALOG) -> None:
    """Put products straight into the replica (tests whose subject is not the replica itself)."""
    async with pool.acquire() as conn:
        replica = PostgresProductReplica(conn)
        for product in products:
            await replica.put_if_newer(product)


def product_event(kind: str, product: Product) -> Envelope:
    """A catalog event exactly as contracts/events describes it."""
    if kind == "product.deleted":
        data: dict[str, Any] = {"product_id": product.id, "sku": product.sku,
                                "version": product.version}
    else:
        data = {"product_id": product.id, "sku": product.sku, "name": product.name,
                "category": product.category or "strength",
                "price": {"amount": product.price.amount, "currency": product.price.currency},
                "stock": product.stock, "version": product.version}
    return Envelope.new(kind, data, producer="catalog", correlation_id=product.id)


def delivery_event(kind: str, order_id: str, status: str, version: int,
                   previous: str | None = None) -> Envelope:
    data: dict[str, Any] = {"delivery_id": "d0000000-0000-4000-8000-" + order_id[-12:],
                            "order_id": order_id, "customer_id": "alice", "status": status,
                            "version": version, "changed_at": "2026-11-25T10:00:00Z",
                            "locale": "ko"}
    if previous is not None:
        data["previous_status"] = previous
    return Envelope.new(kind, data, producer="delivery", correlation_id=order_id)


def order_body(*lines: tuple[str, int], card: str = "4242424242424242") -> dict[str, Any]:
    return {
        "lines": [{"product_id": p, "quantity": q} for p, q in lines],
        "shipping_address": {"recipient": "Kim Minji", "line1": "12 Teheran-ro", "city": "Seoul",
                             "postal_code": "06236", "phone": "010-1234-5678"},
        "payment": {"method": "card", "card_number": card},
    }


def drill_settings(payment_url: str, **overrides: Any) -> OrdersSettings:
    """Short timings so drills finish quickly; gRPC off unless a test turns it on."""
    values: dict[str, Any] = {
        "payment_url": payment_url, "payment_timeout_seconds": 0.5,
        "payment_breaker_failures": 3, "payment_breaker_recovery_seconds": 1.0,
        "reconcile_interval_seconds": 0.2, "reconcile_grace_seconds": 2.0,
        "reconcile_settle_seconds": 3.0, "orders_grpc_port": 0,
    }
    values.update(overrides)
    return OrdersSettings(**values)

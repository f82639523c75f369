"""The orders unit of work: one PostgreSQL transaction, its repositories, the outbox and the inbox."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import asyncpg

from fitshop_common.inbox import claim
from fitshop_common.uow import PostgresUnitOfWork
from orders.adapters.postgres_repository import (
    PostgresIdempotencyKeys,
    PostgresOrders,
    PostgresProductReplica,
    PostgresRefundsDue,
)
from orders.application.ports import StorageUnavailable, UnitOfWork

# Errors that mean "the database is away", not "this query is wrong": callers answer 503.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    ConnectionError,
    OSError,
    TimeoutError,
)


class OrdersUnitOfWork(PostgresUnitOfWork, UnitOfWork):
    def _open(self) -> None:
        self.orders = PostgresOrders(self.conn)
        self.products = PostgresProductReplica(self.conn)
        self.idempotency = PostgresIdempotencyKeys(self.conn)
        self.refunds_due = PostgresRefundsDue(self.conn)

    async def __aenter__(self) -> Self:
        try:
            return await super().__aenter__()
        except CONNECTION_ERRORS as exc:
            raise StorageUnavailable(str(exc) or type(exc).__name__) from exc

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            await super().__aexit__(exc_type, exc, tb)
        except CONNECTION_ERRORS as cleanup:
            if exc is None:
                raise StorageUnavailable(str(cleanup)) from cleanup
        if isinstance(exc, CONNECTION_ERRORS):
            raise StorageUnavailable(str(exc) or type(exc).__name__) from exc

    async def claim_event(self, consumer: str, event_id: str) -> bool:
        return await claim(self.conn, consumer, event_id)

    async def commit(self) -> None:
        try:
            await super().commit()
        except CONNECTION_ERRORS as exc:
            raise StorageUnavailable(str(exc) or type(exc).__name__) from exc

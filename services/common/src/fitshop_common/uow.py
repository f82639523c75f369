"""Unit of work over one PostgreSQL transaction that also writes the collected events to the outbox."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import asyncpg
from asyncpg.transaction import Transaction

from fitshop_common.events import Envelope
from fitshop_common.outbox import OutboxPublisher, add_to_outbox


class PostgresUnitOfWork:
    """`async with uow:` opens a transaction; `commit()` writes pending events then commits.

    Leaving the block without `commit()` rolls everything back, events included. After the
    commit the events go to `publisher` at once (the outbox relay sends any it misses).
    Services subclass it and build their repositories on `self.conn` in `_open()`.
    """

    conn: asyncpg.Connection

    def __init__(self, pool: asyncpg.Pool, publisher: OutboxPublisher | None = None) -> None:
        self._pool = pool
        self._publisher = publisher
        self._events: list[Envelope] = []
        self._tx: Transaction | None = None
        self._committed = False

    def _open(self) -> None:
        """Hook: create repositories on `self.conn`."""

    async def __aenter__(self) -> Self:
        self.conn = await self._pool.acquire()
        self._tx = self.conn.transaction()
        await self._tx.start()
        self._events, self._committed = [], False
        self._open()
        return self

    def publish(self, *events: Envelope) -> None:
        """Queue events; they reach the outbox in this transaction, at commit."""
        self._events.extend(events)

    async def commit(self) -> None:
        assert self._tx is not None, "commit outside `async with`"
        messages = await add_to_outbox(self.conn, self._events)
        await self._tx.commit()
        self._committed = True
        if self._publisher is not None:
            await self._publisher.send(messages)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed and self._tx is not None:
                await self._tx.rollback()
        finally:
            self._tx = None
            await self._pool.release(self.conn)

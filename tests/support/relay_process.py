"""Run an outbox relay as its own process, so a test can SIGKILL it mid-batch."""

from __future__ import annotations

import asyncio
import sys

import asyncpg
import nats

from fitshop_common.messaging import ensure_stream
from fitshop_common.outbox import OutboxRelay
from fitshop_common.settings import NatsSettings


async def main(dsn: str, nats_url: str, batch: int) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=4)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, "drill", NatsSettings(nats_url=nats_url))
    await OutboxRelay(pool, js, batch_size=batch, grace_seconds=0).run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))

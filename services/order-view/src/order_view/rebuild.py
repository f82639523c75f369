"""`python -m order_view.rebuild`: replay the streams into a fresh keyspace, switch readers, drop the old one."""

from __future__ import annotations

import argparse
import asyncio
import sys

import msgspec
from redis.asyncio import Redis

from fitshop_common.logs import configure_logging
from fitshop_common.messaging import connect
from fitshop_common.settings import NatsSettings, RedisSettings, nats_settings, redis_settings
from order_view.adapters.jetstream_log import JetStreamLog
from order_view.adapters.redis_keys import Keys
from order_view.adapters.redis_keyspaces import RedisKeyspaces
from order_view.application.rebuild import Rebuild, RebuildReport
from order_view.settings import SERVICE, OrderViewSettings, order_view_settings


async def rebuild(*, redis: RedisSettings, nats: NatsSettings, settings: OrderViewSettings,
                  grace_seconds: float | None = None) -> RebuildReport:
    """Run one rebuild with its own clients (the CLI, and tests that rebuild under live traffic)."""
    client = Redis.from_url(redis.redis_url)
    nc = await connect(nats, f"{SERVICE}-rebuild")
    try:
        keyspaces = RedisKeyspaces(client, Keys(settings.key_prefix),
                                   lease_seconds=settings.rebuild_lease_seconds)
        job = Rebuild(keyspaces, JetStreamLog(nc.jetstream()),
                      lease_renew_seconds=settings.rebuild_lease_seconds / 4)
        grace = settings.rebuild_grace_seconds if grace_seconds is None else grace_seconds
        return await job.run(grace_seconds=grace)
    finally:
        await nc.drain()
        await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m order_view.rebuild", description=__doc__)
    parser.add_argument("--grace", type=float, default=None,
                        help="seconds to keep the old keyspace after the switch "
                             "(default ORDER_VIEW_REBUILD_GRACE_SECONDS, 30)")
    args = parser.parse_args(argv)
    configure_logging(f"{SERVICE}-rebuild")
    report = asyncio.run(rebuild(redis=redis_settings(), nats=nats_settings(),
                                 settings=order_view_settings(), grace_seconds=args.grace))
    sys.stdout.write(msgspec.json.encode(report).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

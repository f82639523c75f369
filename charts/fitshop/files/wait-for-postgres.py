"""Migration Job, first step: wait until PostgreSQL answers (the in-chart StatefulSet may
still be starting on first install), create the service's database if it is missing and the
chart runs the server, then exit 0 so `python -m fitshop_common.migrate` can run."""

import asyncio
import os
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import asyncpg


async def main() -> None:
    dsn = os.environ["DATABASE_URL"]
    deadline = time.monotonic() + float(os.environ.get("WAIT_SECONDS", "300"))
    create = os.environ.get("CREATE_DATABASE") == "true"
    parts = urlsplit(dsn)
    database = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    while True:
        try:
            conn = await asyncpg.connect(maintenance if create else dsn, timeout=5)
            break
        except Exception as exc:  # any failure to connect means: not yet
            if time.monotonic() > deadline:
                sys.exit(f"PostgreSQL not reachable in time: {type(exc).__name__}: {exc}")
            print(f"waiting for PostgreSQL: {type(exc).__name__}", flush=True)
            await asyncio.sleep(2)
    try:
        if create and not await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", database
        ):
            await conn.execute(f'CREATE DATABASE "{database}"')
            print(f"created database {database}", flush=True)
    finally:
        await conn.close()
    print("PostgreSQL is up", flush=True)


asyncio.run(main())

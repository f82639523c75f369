"""SQL migrations runner: numbered files, a migrations table, an advisory lock so replicas don't race."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

_FILE = re.compile(r"^(\d{4})_([\w-]+)\.sql$")
# Any fixed 64-bit number works; it only has to be the same in every replica.
_LOCK_ID = 0x66697473686F70


@dataclass(frozen=True)
class Migration:
    component: str
    version: int
    name: str
    sql: str


def load(component: str, directory: Path) -> list[Migration]:
    found = []
    for path in sorted(directory.iterdir()):
        match = _FILE.match(path.name)
        if match:
            found.append(Migration(component, int(match[1]), match[2], path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration numbers in {directory}")
    return found


def package_migrations(package: str) -> Path:
    """The `migrations/` folder shipped inside an installed package."""
    return Path(str(resources.files(package).joinpath("migrations")))


async def migrate(conn: asyncpg.Connection, *sources: tuple[str, Path]) -> list[str]:
    """Apply pending migrations of each (component, folder) in order; return what was applied.

    The shared outbox/inbox tables come first when `common` is among `sources`. One
    transaction per file: a failed file leaves the database at the previous version.
    """
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   component  text NOT NULL,
                   version    int  NOT NULL,
                   name       text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (component, version))"""
        )
        for component, directory in sources:
            done = {
                r["version"]
                for r in await conn.fetch(
                    "SELECT version FROM schema_migrations WHERE component = $1", component
                )
            }
            for m in load(component, directory):
                if m.version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)",
                        m.component,
                        m.version,
                        m.name,
                    )
                applied.append(f"{component}/{m.version:04d}_{m.name}")
                log.info("migration applied", extra={"migration": applied[-1]})
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
    return applied


async def migrate_service(dsn: str, package: str) -> list[str]:
    """The shared tables, then the service package's own `migrations/` folder."""
    conn = await asyncpg.connect(dsn)
    try:
        return await migrate(
            conn,
            ("common", package_migrations("fitshop_common")),
            (package, package_migrations(package)),
        )
    finally:
        await conn.close()


def main() -> None:
    """`python -m fitshop_common.migrate PACKAGE` — the Helm hook Job runs this."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("package", help="service package whose migrations/ to apply, e.g. orders")
    parser.add_argument("--dsn", help="PostgreSQL DSN (default: DATABASE_URL)")
    args = parser.parse_args()
    from fitshop_common.settings import postgres_settings

    applied = asyncio.run(
        migrate_service(args.dsn or postgres_settings().database_url, args.package)
    )
    print(f"{len(applied)} migration(s) applied" + "".join(f"\n  {a}" for a in applied))


if __name__ == "__main__":
    main()

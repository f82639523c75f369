"""Idempotent consumers: the event id is recorded atomically with the effect (PostgreSQL or Redis)."""

from __future__ import annotations

from typing import Any

import asyncpg
from redis.asyncio import Redis


async def claim(conn: asyncpg.Connection, consumer: str, event_id: str) -> bool:
    """In the caller's transaction: True the first time `consumer` sees `event_id`, else False.

    The row commits or rolls back with the effect, so an event is applied exactly once even
    when it is delivered many times or two replicas race for it (the loser blocks on the key,
    then sees the winner's row and skips).
    """
    inserted = await conn.fetchval(
        "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING RETURNING true",
        consumer,
        event_id,
    )
    return inserted is True


_ARGUMENTS = """
local keys, args = {}, {}
for i = 2, #KEYS do keys[i - 1] = KEYS[i] end
for i = 2, #ARGV do args[i - 1] = ARGV[i] end
"""

_MARK = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return false
end
"""


class RedisOnce:
    """Runs a Lua effect at most once per (consumer, event id), in the same atomic script as the marker.

    The effect is Lua that reads `keys` and `args` (the caller's) and returns a value; the
    call returns None when the event was already applied. `precondition_lua`, if given, runs
    first on the same `keys` and `args` and may `return` early: then nothing is marked, so the
    caller can correct its arguments and call again.
    """

    def __init__(
        self,
        redis: Redis,
        consumer: str,
        effect_lua: str,
        ttl_seconds: int = 7 * 24 * 3600,
        prefix: str = "inbox",
        precondition_lua: str = "",
    ) -> None:
        self._script = redis.register_script(_ARGUMENTS + precondition_lua + _MARK + effect_lua)
        self._consumer = consumer
        self._ttl = ttl_seconds
        self._prefix = prefix

    async def __call__(self, event_id: str, keys: list[str], args: list[Any]) -> Any:
        marker = f"{self._prefix}:{self._consumer}:{event_id}"
        result = await self._script(keys=[marker, *keys], args=[self._ttl, *args])
        return None if result is None else result

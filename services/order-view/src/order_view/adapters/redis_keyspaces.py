"""Generations of the read model in Redis: announce a build, switch readers with one SET, drop the old."""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from order_view.adapters.redis_keys import INITIAL_KEYSPACE, Keys, text
from order_view.adapters.redis_views import RedisViewStore
from order_view.application.ports import Keyspaces, ViewStore

log = logging.getLogger(__name__)


class RebuildRefused(RuntimeError):
    """Another rebuild holds the lease, or ours lapsed (live writes may have stopped feeding it)."""


# KEYS: current, building  ARGV: name
_SWITCH = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return redis.error_reply('the rebuild lease of ' .. ARGV[1] .. ' was lost')
end
local previous = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return previous
"""

# KEYS: building  ARGV: name, lease ms  → 1 if still ours (renewed), 0 otherwise
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

# KEYS: building  ARGV: name
_ABANDON = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


class RedisKeyspaces(Keyspaces):
    def __init__(self, redis: Redis, keys: Keys, *, lease_seconds: float = 30.0) -> None:
        self._redis = redis
        self._keys = keys
        self._lease_ms = int(lease_seconds * 1000)
        self._switch = redis.register_script(_SWITCH)
        self._renew = redis.register_script(_RENEW)
        self._abandon = redis.register_script(_ABANDON)

    async def ensure_initial(self) -> bool:
        """Readers and writers use `v1` until a rebuild; True for the one caller that set it up
        (a first start, or a Redis that lost its data)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._keys.current, INITIAL_KEYSPACE, nx=True)
            pipe.set(self._keys.generation, 1, nx=True)
            pipe.sadd(self._keys.keyspaces, INITIAL_KEYSPACE)
            created, _, _ = await pipe.execute()
        return bool(created)

    async def begin_build(self) -> str:
        await self.ensure_initial()
        name = f"v{await self._redis.incr(self._keys.generation)}"
        if not await self._redis.set(self._keys.building, name, nx=True, px=self._lease_ms):
            holder = await self._redis.get(self._keys.building)
            raise RebuildRefused(f"a rebuild into {holder!r} is running")
        await self._redis.sadd(self._keys.keyspaces, name)
        return name

    async def keep_building(self, name: str) -> None:
        if not await self._renew(keys=[self._keys.building], args=[name, self._lease_ms]):
            raise RebuildRefused(f"the rebuild lease of {name} was lost")

    async def switch_to(self, name: str) -> str | None:
        previous = await self._switch(keys=[self._keys.current, self._keys.building], args=[name])
        return text(previous) if previous else INITIAL_KEYSPACE

    async def abandon(self, name: str) -> None:
        await self._abandon(keys=[self._keys.building], args=[name])

    async def drop(self, name: str) -> int:
        in_use = await self._redis.mget(self._keys.current, self._keys.building)
        if name.encode() in in_use or (in_use[0] is None and name == INITIAL_KEYSPACE):
            raise RebuildRefused(f"keyspace {name} is in use")
        dropped = 0
        batch: list[bytes] = []
        async for key in self._redis.scan_iter(match=self._keys.pattern(name), count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                dropped += await self._redis.unlink(*batch)
                batch.clear()
        if batch:
            dropped += await self._redis.unlink(*batch)
        await self._redis.srem(self._keys.keyspaces, name)
        log.info("keyspace dropped", extra={"keyspace": name, "keys": dropped})
        return dropped

    async def leftovers(self) -> list[str]:
        """Keyspaces neither current nor being built: what a crashed rebuild left behind."""
        names = {text(n) for n in await self._redis.smembers(self._keys.keyspaces)}
        pointers = await self._redis.mget(self._keys.current, self._keys.building)
        in_use = {text(n) for n in pointers if n}
        return sorted(names - in_use - ({INITIAL_KEYSPACE} if not in_use else set()))

    def store(self, name: str) -> ViewStore:
        return RedisViewStore(self._redis, self._keys, only=name)

"""The view in Redis: one Lua script per event (pointer check, once-marker, version guard, index,
publish) and one round trip per read."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import msgspec
from redis.asyncio import Redis

from fitshop_common.inbox import RedisOnce
from order_view.adapters.redis_keys import INITIAL_KEYSPACE, Keys, text
from order_view.application.ports import InvalidCursor, StoredView, ViewReader, ViewStore
from order_view.domain.view import DeliveryPart, OrderPart

CONSUMER = "order-view"

# Runs after RedisOnce's marker (SET NX of the event id) in the same script, so the marker, the
# guard and the effect are one atomic step: a replica racing us, a redelivery, or an event
# overtaken by a newer one cannot apply an older part over a newer one.
#   keys: [1] view hash  [2] customer index  [3] current pointer  [4] building pointer
#   args: [1] part field  [2] part version  [3] part JSON  [4] order id
#         [5] index score  [6] index mode ('set' | 'nx' | '')  [7] channel ('' = publish nothing)
#         [8] the live keyspace the caller believes in ('' = do not check)  [9] the keyspace it
#         believes is being built ('' = none)  [10] the keyspace readers use without a pointer
# Returns 1 when the part was written, 0 when a part of the same or a newer version was there,
# STALE (before marking anything) when a rebuild started or switched since the caller looked.
_POINTERS_UNCHANGED = """
if args[8] ~= '' and ((redis.call('GET', keys[3]) or args[10]) ~= args[8]
                      or (redis.call('GET', keys[4]) or '') ~= args[9]) then
  return -1
end
"""
STALE = -1

_APPLY = """
local view, index = keys[1], keys[2]
local field, version = args[1], tonumber(args[2])
-- The placing time orders the customer's list; it is known even when the part itself is stale
-- (an order.cancelled overtook its order.placed), so index before the guard.
if args[6] == 'set' then
  redis.call('ZADD', index, args[5], args[4])
elseif args[6] == 'nx' then
  redis.call('ZADD', index, 'NX', args[5], args[4])
end
local stored = tonumber(redis.call('HGET', view, field .. '_version') or '0')
if version <= stored then
  return 0
end
redis.call('HSET', view, field, args[3], field .. '_version', version)
if args[7] ~= '' then
  local parts = redis.call('HMGET', view, 'order', 'delivery')
  if parts[1] then
    redis.call('PUBLISH', args[7], '{"order":' .. parts[1] .. ',"delivery":' .. (parts[2] or 'null') .. '}')
  end
end
return 1
"""

_order_decoder = msgspec.json.Decoder(OrderPart)
_delivery_decoder = msgspec.json.Decoder(DeliveryPart)


def epoch_ms(rfc3339: str) -> int:
    return int(datetime.fromisoformat(rfc3339).timestamp() * 1000)


async def current_keyspace(redis: Redis, keys: Keys) -> str:
    name = await redis.get(keys.current)
    return text(name) if name else INITIAL_KEYSPACE


class RedisViewStore(ViewStore):
    """Live mode writes the current keyspace (publishing changes) and any keyspace being rebuilt;
    `only=` mode writes one keyspace and publishes nothing (the rebuild's own writes)."""

    def __init__(self, redis: Redis, keys: Keys, *, only: str | None = None) -> None:
        self._redis = redis
        self._keys = keys
        self._only = only
        self._once: dict[str, RedisOnce] = {}
        # (live, being built or ''), as last read; every write checks it in its own script,
        # so a stale copy costs one retry, never a write to the wrong keyspace.
        self._pointers: tuple[str, str] | None = None

    async def apply_order(self, event_id: str, part: OrderPart) -> bool:
        if part.placed_at is not None:
            score, mode = epoch_ms(part.placed_at), "set"
        else:  # until its order.placed arrives, list it by the time we learnt of it
            score, mode = epoch_ms(part.changed_at), "nx"
        return await self._apply(
            event_id, part.order_id, part.customer_id, "order", part.version,
            msgspec.json.encode(part), score, mode,
        )

    async def apply_delivery(self, event_id: str, part: DeliveryPart) -> bool:
        # No index entry: the list shows an order once its order part is known.
        return await self._apply(
            event_id, part.order_id, part.customer_id, "delivery", part.version,
            msgspec.json.encode(part), "", "",
        )

    async def _apply(self, event_id: str, order_id: str, customer_id: str, field: str,
                     version: int, part: bytes, score: int | str, mode: str) -> bool:
        args = [field, version, part, order_id, score, mode]
        if self._only is not None:  # a rebuild's own keyspace: no pointers to follow
            return await self._apply_to(self._only, event_id, order_id, customer_id,
                                        [*args, "", "", "", INITIAL_KEYSPACE]) == 1
        while True:
            live, building = self._pointers or await self._read_pointers()
            targets = [(live, self._keys.channel(customer_id))]
            if building and building != live:
                targets.append((building, ""))  # the rebuild's copy publishes nothing
            results = [await self._apply_to(keyspace, event_id, order_id, customer_id,
                                            [*args, channel, live, building, INITIAL_KEYSPACE])
                       for keyspace, channel in targets]
            if STALE not in results:
                return 1 in results
            self._pointers = None  # look again; keyspaces already written skip the event

    async def _apply_to(self, keyspace: str, event_id: str, order_id: str, customer_id: str,
                        args: list[Any]) -> Any:
        keys = [self._keys.view(keyspace, order_id), self._keys.index(keyspace, customer_id),
                self._keys.current, self._keys.building]
        return await self._script(keyspace)(event_id, keys, args)

    async def _read_pointers(self) -> tuple[str, str]:
        current, building = await self._redis.mget(self._keys.current, self._keys.building)
        self._pointers = (text(current) if current else INITIAL_KEYSPACE,
                          text(building) if building else "")
        return self._pointers

    def _script(self, keyspace: str) -> RedisOnce:
        once = self._once.get(keyspace)
        if once is None:
            once = RedisOnce(self._redis, CONSUMER, _APPLY, prefix=self._keys.inbox(keyspace),
                             precondition_lua=_POINTERS_UNCHANGED)
            self._once[keyspace] = once
        return once


class RedisViewReader(ViewReader):
    """Reads the keyspace the `current` pointer names, looked up per request."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._keyspace = INITIAL_KEYSPACE  # the pointer as last read

    async def get(self, order_id: str) -> StoredView | None:
        # The pointer and the view under the pointer's last value, in one round trip; read again
        # in the rare case that a rebuild has switched readers since.
        guess = self._keyspace
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(self._keys.current)
            pipe.hmget(self._keys.view(guess, order_id), ["order", "delivery"])
            current, (order, delivery) = await pipe.execute()
        self._keyspace = text(current) if current else INITIAL_KEYSPACE
        if self._keyspace != guess:
            order, delivery = await self._redis.hmget(self._keys.view(self._keyspace, order_id),
                                                      ["order", "delivery"])
        if order is None and delivery is None:
            return None
        return _stored(order, delivery)

    async def page(
        self, customer_id: str, limit: int, cursor: str | None
    ) -> tuple[list[StoredView], str | None]:
        keyspace = await current_keyspace(self._redis, self._keys)
        index = self._keys.index(keyspace, customer_id)
        entries = await self._entries(index, limit + 1, decode_cursor(cursor) if cursor else None)
        more = len(entries) > limit
        entries = entries[:limit]
        async with self._redis.pipeline(transaction=False) as pipe:
            for order_id, _ in entries:
                pipe.hmget(self._keys.view(keyspace, order_id), ["order", "delivery"])
            rows: list[list[Any]] = await pipe.execute() if entries else []
        views = [_stored(order, delivery) for order, delivery in rows if order is not None]
        if more and entries:
            last_id, last_score = entries[-1]
            return views, encode_cursor(last_score, last_id)
        return views, None

    async def _entries(self, index: str, count: int,
                       after: tuple[int, str] | None) -> list[tuple[str, int]]:
        """(order id, score) newest first: by score descending, then order id descending."""
        if after is None:
            rows: list[Any] = await self._redis.zrevrangebyscore(
                index, "+inf", "-inf", start=0, num=count, withscores=True)
            return [(text(member), int(score)) for member, score in rows]
        score, member = after
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrangebyscore(index, score, score)  # the cursor's score may be shared
            pipe.zrevrangebyscore(index, f"({score}", "-inf", start=0, num=count, withscores=True)
            ties, older = await pipe.execute()
        same = sorted((text(m) for m in ties if text(m) < member), reverse=True)
        entries = [(m, score) for m in same] + [(text(m), int(s)) for m, s in older]
        return entries[:count]


def _stored(order: bytes | str | None, delivery: bytes | str | None) -> StoredView:
    return StoredView(
        order=_order_decoder.decode(order) if order else None,
        delivery=_delivery_decoder.decode(delivery) if delivery else None,
    )


def encode_cursor(score: int, order_id: str) -> str:
    """Opaque to clients: the position (score, order id) of the last item served."""
    return base64.urlsafe_b64encode(f"{score}:{order_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        score, _, order_id = raw.partition(":")
        if not order_id:
            raise ValueError("no position")
        return int(score), order_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("Not a cursor this service handed out.") from exc

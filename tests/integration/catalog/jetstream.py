"""Reading what reached JetStream, and waiting for it, in catalog tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from nats.js import JetStreamContext


async def stream_messages(js: JetStreamContext, stream: str = "CATALOG") -> list[tuple[str, bytes]]:
    """(Nats-Msg-Id, payload) of every message stored in `stream`, in stream order."""
    info = await js.stream_info(stream)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        if info.state.messages == 0:
            break
        msg = await js.get_msg(stream, seq)
        found.append(((msg.headers or {})["Nats-Msg-Id"], msg.data or b""))
    return found


async def eventually(predicate: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)

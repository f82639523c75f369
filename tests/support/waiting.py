"""Waiting for eventual consistency: poll a condition until it holds or time runs out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 20.0,
                     every: float = 0.05) -> None:
    """Return once `await check()` is truthy; fail the test after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            name = getattr(check, "__name__", "condition")
            raise AssertionError(f"not true within {timeout}s: {name}")
        await asyncio.sleep(every)

"""Background loops (outbox relays, consumers) started with the app and stopped gracefully with it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Loop = Callable[[asyncio.Event], Awaitable[None]]


class Workers:
    """Each worker is `async def run(stop: asyncio.Event)` and returns soon after `stop` is set."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def spawn(self, name: str, loop: Loop) -> None:
        async def supervised() -> None:
            # Loops handle their expected failures themselves; anything escaping is a bug or
            # an unforeseen outage: log it and start the loop again rather than go silent.
            while not self.stop.is_set():
                try:
                    await loop(self.stop)
                    return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("worker %s crashed; restarting in 1s", name)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.stop.wait(), 1.0)

        self._tasks[name] = asyncio.create_task(supervised(), name=name)

    async def shutdown(self, grace: float) -> None:
        """Ask every loop to finish its work in hand, then cancel what is left after `grace`."""
        self.stop.set()
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(self._tasks.values(), timeout=grace)
        for task in pending:
            log.warning("worker %s did not stop within %.1fs; cancelling", task.get_name(), grace)
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._tasks.clear()

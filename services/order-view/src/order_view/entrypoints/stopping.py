"""Notice SIGTERM the moment it arrives, so endless responses (SSE) end before the server drains.

granian finishes in-flight requests before it runs the lifespan shutdown, and an event stream
never finishes by itself: without this a SIGTERM would hang until the kubelet's SIGKILL.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopNotice:
    """Chains onto the server's own SIGTERM/SIGINT handling; never replaces it."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Callable[[int, FrameType | None], Any]] = {}
        self._on_stop: list[Callable[[], None]] = []

    def __call__(self) -> bool:
        return self.requested

    def install(self, on_stop: Callable[[], None] | None = None) -> None:
        if on_stop is not None:
            self._on_stop.append(on_stop)
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set handlers; then nobody sends us signals either
        for signum in _SIGNALS:
            previous = signal.getsignal(signum)
            # Only where a handler drains the process: with the default action there is
            # nothing to drain, and taking it over would stop the signal from ending the process.
            if callable(previous):
                self._previous[signum] = previous
                signal.signal(signum, self._handle)

    def uninstall(self) -> None:
        for signum, previous in self._previous.items():
            if signal.getsignal(signum) == self._handle:
                signal.signal(signum, previous)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self.requested:
            self.requested = True
            log.info("stop requested; ending event streams", extra={"signal": signum})
            for callback in self._on_stop:
                callback()
        self._previous[signum](signum, frame)

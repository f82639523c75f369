"""The stop notice chains onto the server's signal handler and never takes it over."""

from __future__ import annotations

import os
import signal
import time
from types import FrameType

from order_view.entrypoints.stopping import StopNotice


def test_sigterm_sets_the_notice_runs_the_callback_and_still_reaches_the_server_s_handler() -> None:
    received: list[int] = []

    def server_handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    original = signal.signal(signal.SIGTERM, server_handler)
    notice, drained = StopNotice(), []
    try:
        notice.install(on_stop=lambda: drained.append(True))
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # handlers run between bytecodes of the main thread
        assert notice() is True and drained == [True] and received == [signal.SIGTERM]
        notice.uninstall()
        assert signal.getsignal(signal.SIGTERM) is server_handler
    finally:
        signal.signal(signal.SIGTERM, original)


def test_with_nobody_handling_sigterm_the_notice_leaves_the_default_action_alone() -> None:
    original = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        StopNotice().install()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, original)

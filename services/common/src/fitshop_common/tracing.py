"""W3C trace context: read or start a `traceparent`, and carry it through HTTP and NATS headers."""

from __future__ import annotations

import re
import secrets

from fitshop_common.logs import trace_id

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def continue_or_start(traceparent: str | None) -> str:
    """Return the trace id of an incoming `traceparent`, or a new one; store it for the logs."""
    match = _TRACEPARENT.match(traceparent or "")
    tid = match.group(1) if match and match.group(1) != "0" * 32 else secrets.token_hex(16)
    trace_id.set(tid)
    return tid


def current_traceparent() -> str:
    """A `traceparent` for an outgoing call or message, child of the current trace."""
    tid = trace_id.get() or secrets.token_hex(16)
    return f"00-{tid}-{secrets.token_hex(8)}-01"

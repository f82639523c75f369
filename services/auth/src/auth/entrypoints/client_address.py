"""The client's address as the gateway saw it: X-Forwarded-For, believed only from trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_address(peer: str | None, forwarded_for: str | None,
                   trusted: Sequence[Network]) -> str:
    """Walk the hops from the nearest back: the first one not run by us is the client.

    Entries left of that point are whatever the client wrote itself, so they are never used;
    a client cannot shed its throttling by inventing an X-Forwarded-For.
    """
    hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()]
    current = peer or "unknown"
    while hops and _trusted(current, trusted):
        current = hops.pop()
    # A throttling key, not an address we connect to: keep it printable and bounded.
    return "".join(c if c.isprintable() else "\ufffd" for c in current[:64])

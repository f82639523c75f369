"""Where the read model lives in Redis: generation pointers, per-keyspace keys, per-customer channels."""

from __future__ import annotations

from dataclasses import dataclass

INITIAL_KEYSPACE = "v1"
"""The keyspace readers use before any rebuild has run (and if the pointer is ever missing)."""


@dataclass(frozen=True)
class Keys:
    """Every key name in one place, under one service prefix (default `order-view`)."""

    base: str = "order-view"

    @property
    def current(self) -> str:
        """The keyspace readers and live writes use (swapped by one SET at the end of a rebuild)."""
        return f"{self.base}:current"

    @property
    def building(self) -> str:
        """The keyspace a rebuild is filling, if any (live writes feed it too); expires unless renewed."""
        return f"{self.base}:building"

    @property
    def generation(self) -> str:
        return f"{self.base}:generation"

    @property
    def keyspaces(self) -> str:
        """Every keyspace not yet dropped (so a crashed rebuild's leftovers can be found)."""
        return f"{self.base}:keyspaces"

    def view(self, keyspace: str, order_id: str) -> str:
        """Hash: `order` / `order_version`, `delivery` / `delivery_version`."""
        return f"{self.base}:{keyspace}:order:{order_id}"

    def index(self, keyspace: str, customer_id: str) -> str:
        """Sorted set of the customer's order ids scored by placing time (epoch ms)."""
        return f"{self.base}:{keyspace}:customer:{customer_id}"

    def inbox(self, keyspace: str) -> str:
        """Prefix of the applied-event markers; per keyspace, so a rebuild applies every event again."""
        return f"{self.base}:{keyspace}:inbox"

    def pattern(self, keyspace: str) -> str:
        return f"{self.base}:{keyspace}:*"

    def channel(self, customer_id: str) -> str:
        """Pub/sub channel of one customer's view changes (not per keyspace: replays are not news)."""
        return f"{self.base}:updates:{customer_id}"


def text(value: bytes | str) -> str:
    """Our clients answer bytes (no decode_responses); names and pointers are ASCII."""
    return value.decode() if isinstance(value, bytes) else value

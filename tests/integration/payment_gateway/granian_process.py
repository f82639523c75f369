"""Payment-gateway test processes: the shared granian runner plus a port probe."""

from __future__ import annotations

import socket

from tests.support.granian import REPO, GranianProcess, free_port


def refuses_connections(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0


__all__ = ["REPO", "GranianProcess", "free_port", "refuses_connections"]

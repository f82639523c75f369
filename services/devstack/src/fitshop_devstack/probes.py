"""Tiny wire-protocol probes: "is this server answering?" without importing any client library.

The tool must work before any service (and its drivers) exists, and a readiness poll runs every
few milliseconds, so each probe is one short blocking socket exchange.
"""

from __future__ import annotations

import json
import socket
import struct

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    """True when something already listens on 127.0.0.1:port."""
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def postgres_ready(port: int, timeout: float = 1.0) -> bool:
    """Send a StartupMessage as `postgres`; trust auth answers AuthenticationOk ('R', 0) when the
    server accepts connections, and an 'E' error while it is still starting or shutting down."""
    params = b"user\0postgres\0database\0postgres\0\0"
    startup = struct.pack("!ii", 8 + len(params), 196608) + params  # protocol 3.0
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(startup)
            reply = _read_exactly(sock, 9)
            sock.sendall(b"X\0\0\0\4")  # Terminate, so the server logs no "unexpected EOF"
    except OSError:
        return False
    return reply[:1] == b"R" and struct.unpack("!i", reply[5:9])[0] == 0


def redis_command(port: int, *args: str, timeout: float = 2.0) -> bytes:
    """Run one Redis command and answer its first reply line (e.g. b"+PONG")."""
    request = f"*{len(args)}\r\n".encode()
    for arg in args:
        encoded = arg.encode()
        request += b"$%d\r\n%s\r\n" % (len(encoded), encoded)
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(request)
        return sock.makefile("rb").readline().rstrip(b"\r\n")


def redis_ready(port: int) -> bool:
    try:
        return redis_command(port, "PING", timeout=1.0) == b"+PONG"
    except OSError:
        return False


def mongo_ready(port: int, timeout: float = 1.0) -> bool:
    """Send `{ping: 1, $db: "admin"}` as an OP_MSG and look for `ok: 1.0` in the reply."""
    body = b"\x10ping\0" + struct.pack("<i", 1) + b"\x02$db\0" + struct.pack("<i", 6) + b"admin\0"
    document = struct.pack("<i", len(body) + 5) + body + b"\0"
    payload = struct.pack("<I", 0) + b"\0" + document  # flagBits, section kind 0, the command
    header = struct.pack("<iiii", 16 + len(payload), 1, 0, 2013)  # 2013 = OP_MSG
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(header + payload)
            length = struct.unpack("<i", _read_exactly(sock, 4))[0]
            reply = _read_exactly(sock, length - 4)
    except OSError:
        return False
    return b"\x01ok\0" + struct.pack("<d", 1.0) in reply


def http_ok(port: int, path: str, timeout: float = 1.0) -> bool:
    """True when GET http://127.0.0.1:port/path answers 200 (one HTTP/1.1 exchange)."""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n"
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(request.encode())
            status_line = sock.makefile("rb").readline()
    except OSError:
        return False
    parts = status_line.split()
    return len(parts) >= 2 and parts[1] == b"200"


def nats_request(port: int, subject: str, payload: bytes = b"", timeout: float = 5.0) -> bytes:
    """One NATS request/reply over the plain text protocol (used to manage JetStream streams)."""
    inbox = "_INBOX.devstack"
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        reader = sock.makefile("rb")
        reader.readline()  # INFO {...}
        connect = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True}
        sock.sendall(
            b"CONNECT " + json.dumps(connect).encode() + b"\r\n"
            + f"SUB {inbox} 1\r\nPUB {subject} {inbox} {len(payload)}\r\n".encode()
            + payload + b"\r\n"
        )
        while True:
            line = reader.readline()
            if not line:
                raise ConnectionError("NATS closed the connection")
            if line.startswith(b"PING"):
                sock.sendall(b"PONG\r\n")
            elif line.startswith(b"-ERR"):
                raise ConnectionError(line.decode().strip())
            elif line.startswith(b"MSG "):
                size = int(line.split()[-1])
                return reader.read(size + 2)[:-2]
            elif line.startswith(b"HMSG "):
                # Only a status reply comes with headers here: 503 means nobody answers.
                size = int(line.split()[-1])
                status = reader.read(size + 2)[:-2]
                raise ConnectionError(f"no reply on {subject}: {status[:40]!r}")


def jetstream_delete_all_streams(port: int) -> list[str]:
    """Delete every JetStream stream (KV and object buckets are streams too); answers the names."""
    reply = json.loads(nats_request(port, "$JS.API.STREAM.NAMES", b'{"offset":0}'))
    names: list[str] = reply.get("streams") or []
    for name in names:
        nats_request(port, f"$JS.API.STREAM.DELETE.{name}")
    return names


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed early")
        data += chunk
    return data

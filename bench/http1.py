"""A lean HTTP/1.1 keep-alive client for load generation: h11 over asyncio streams.

The load generator shares the 2-core machine with what it measures, so its CPU per request is
taken from the services. httpx2 spends about 2 ms of CPU per request here (anyio, its pool,
URL and header models); h11 on a fixed set of connections spends a fraction of that. Only what
the benchmarks need: one host, bodies by Content-Length, connections reused in turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import h11


class Http1Pool:
    def __init__(self, host: str, port: int, *, size: int,
                 headers: Sequence[tuple[str, str]] = ()) -> None:
        self._host, self._port = host, port
        self._size = size
        self._headers = [("Host", f"{host}:{port}"), *headers]
        self._idle: asyncio.LifoQueue[_Connection] = asyncio.LifoQueue()
        self._opened = 0

    @property
    def opened(self) -> int:
        """Connections open now (idle or busy)."""
        return self._opened

    async def request(self, method: str, target: str, body: bytes = b"",
                      headers: Sequence[tuple[str, str]] = ()) -> tuple[int, bytes]:
        """(status, body) of one exchange; raises OSError / h11 errors when the peer fails."""
        conn = await self._take()
        try:
            result = await conn.exchange(method, target, body, [*self._headers, *headers])
        except BaseException:
            conn.close()
            self._opened -= 1
            raise
        self._idle.put_nowait(conn)
        return result

    async def _take(self) -> _Connection:
        if self._idle.empty() and self._opened < self._size:
            self._opened += 1
            try:
                reader, writer = await asyncio.open_connection(self._host, self._port)
            except BaseException:
                self._opened -= 1
                raise
            return _Connection(reader, writer)
        return await self._idle.get()

    async def aclose(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().close()


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._h11 = h11.Connection(our_role=h11.CLIENT)

    async def exchange(self, method: str, target: str, body: bytes,
                       headers: list[tuple[str, str]]) -> tuple[int, bytes]:
        if body:
            headers = [*headers, ("Content-Length", str(len(body)))]
        out = self._h11.send(h11.Request(method=method, target=target, headers=headers)) or b""
        if body:
            out += self._h11.send(h11.Data(data=body)) or b""
        out += self._h11.send(h11.EndOfMessage()) or b""
        self._writer.write(out)
        status, chunks = 0, []
        while True:
            event = self._h11.next_event()
            if event is h11.NEED_DATA:
                data = await self._reader.read(65536)
                if not data:
                    raise ConnectionError("server closed the connection")
                self._h11.receive_data(data)
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("server closed the connection")
        self._h11.start_next_cycle()
        return status, b"".join(chunks)

    def close(self) -> None:
        self._writer.close()

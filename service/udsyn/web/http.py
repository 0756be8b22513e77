"""The HTTP protocol the service speaks: uvicorn's (httptools), with each response's head and
body leaving together; and uvicorn's server, stopping the front processes first.

uvicorn writes a response's status line and headers, then its body, as two writes: two
system calls and two TCP segments, and a client may wake for each. Here the small writes one
turn of the event loop makes are joined and leave in one write at the start of the next.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

JOINED = 1 << 16


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a transport that joins the writes of one turn.

    ``replay`` is what another process already read from a connection it handed over: it is
    read first, before anything the socket brings.
    """

    def __init__(self, *args: Any, replay: bytes = b"", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._replay = replay

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_JoinedWrites(transport))  # type: ignore[arg-type]
        if self._replay:  # before the transport's first read, which comes in a later turn
            replay, self._replay = self._replay, b""
            self.data_received(replay)


class _JoinedWrites:
    """A transport whose writes wait for the event loop's next turn, then leave as one; a
    write that brings :data:`JOINED` bytes or more leaves at once (with those before it), so
    large bodies are not copied and flow control sees them as they are written. Everything
    else is the transport's own."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending: list[bytes] = []
        self._size = 0
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)
        self._size += len(data)
        if self._size >= JOINED:
            self.flush()

    def writelines(self, lines: Iterable[bytes]) -> None:
        for data in lines:
            self.write(data)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def flush(self) -> None:
        """Write what waits, now."""
        if not self._pending:
            return
        pending, self._pending, self._size = self._pending, [], 0
        if not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class ServiceServer(uvicorn.Server):
    """uvicorn's server, which when it shuts down first runs ``before_shutdown``: the front
    processes stop taking connections (uvicorn waits for its own, which they would add to)."""

    def __init__(
        self, config: uvicorn.Config, *, before_shutdown: Callable[[], Awaitable[None]]
    ) -> None:
        super().__init__(config)
        self.before_shutdown = before_shutdown

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await self.before_shutdown()
        await super().shutdown(sockets)

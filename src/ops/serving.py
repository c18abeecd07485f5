"""The HTTP server's protocol: uvicorn's httptools protocol, with the writes of one loop step sent together.

uvicorn writes an answer's status line and headers, then its body, each with its own `transport.write`, and uvloop
sends each at once: two socket sends (and two packets for the client to wake up to) for every answer. On this
project's machines a send to a local socket costs about as much CPU as the rest of a small request, so the
protocol hands uvicorn a transport that gathers what is written during one step of the event loop and sends it
with one call: when the answer is complete, or else (a streamed answer's chunks) at the end of that step. Nothing
waits longer than the step that wrote it, and past GATHER_LIMIT bytes the writes leave at once (flow control
sees a large body as before); closing sends what is gathered first. Bytes still gathered when the connection is
lost (the peer gone) are dropped, as the kernel would drop them. Serve with it by naming it to uvicorn:
`http="ops.serving:HttpProtocol"` (what `ops serve` does).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Past this many gathered bytes (a large body, a fast stream) they leave at once: the real transport's buffer and
# uvicorn's flow control (pause_writing) then see them in the same step, as without gathering.
GATHER_LIMIT = 64 * 1024


class GatheringTransport:
    """A transport whose writes within one loop step leave as one send; every other call goes to the real one."""

    __slots__ = ("_loop", "_pending", "_size", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        chunk = bytes(data)  # the same object for bytes; a copy of a buffer the caller may change
        self._pending.append(chunk)
        self._size += len(chunk)
        if self._size > GATHER_LIMIT:
            self.flush()

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending, self._size = self._pending, [], 0
        if self._transport.is_closing():
            return  # the peer is gone (or the loop closed the connection): nothing can be sent
        if len(pending) == 1:
            self._transport.write(pending[0])
        else:
            self._transport.writelines(pending)  # one vectored send on uvloop, no joined copy

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._pending, self._size = [], 0
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._size

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a `GatheringTransport`; a complete answer is sent at once, not at the end
    of the step (where it would wait for every other request the step runs)."""

    gathering: GatheringTransport

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.gathering = GatheringTransport(transport, self.loop)
        super().connection_made(self.gathering)  # type: ignore[arg-type]

    def on_response_complete(self) -> None:
        self.gathering.flush()
        super().on_response_complete()

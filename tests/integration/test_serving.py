"""The server's protocol (ops/serving.py) over real sockets: what one loop step writes leaves in one send, nothing is
held past that step, closing sends what was gathered first, and uvicorn serves through it as before: keep-alive,
streamed answers (the live pages' event streams) and `Connection: close`."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn

from ops.cli.main import HTTP_PROTOCOL
from ops.serving import GatheringTransport


class Sends:
    """The loop's real transport, counting the calls that send (write, writelines)."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport, self.calls = transport, 0

    def write(self, data: bytes) -> None:
        self.calls += 1
        self.transport.write(data)

    def writelines(self, lines: list[bytes]) -> None:
        self.calls += 1
        self.transport.writelines(lines)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


async def _pair() -> tuple[GatheringTransport, Sends, socket.socket]:
    """A gathering transport over the loop's real transport on one end of a socket pair, and the other end."""
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    loop = asyncio.get_running_loop()
    transport, _protocol = await loop.create_connection(asyncio.Protocol, sock=ours)
    sends = Sends(transport)  # type: ignore[arg-type]
    return GatheringTransport(sends, loop), sends, theirs  # type: ignore[arg-type]


def _received(peer: socket.socket) -> bytes:
    try:
        return peer.recv(65536)
    except BlockingIOError:
        return b""


async def test_the_writes_of_one_step_leave_together_at_its_end() -> None:
    transport, sends, peer = await _pair()
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"ok")
    assert _received(peer) == b"", "nothing is sent before the step that wrote it ends"
    assert transport.get_write_buffer_size() == 40
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert _received(peer) == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
    assert sends.calls == 1, "the head and the body left in one send"
    transport.write(b"next")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert _received(peer) == b"next", "a later step's writes leave at the end of that step"
    assert sends.calls == 2
    transport.close()
    peer.close()


async def test_a_large_body_leaves_at_once_with_its_head() -> None:
    transport, sends, peer = await _pair()
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
    transport.write(b"x" * 100_000)
    assert sends.calls == 1, "past the gathering limit, the head and the body leave in the same step, together"
    assert _received(peer).startswith(b"HTTP/1.1 200 OK"), "and without waiting for the step's end"
    transport.close()
    peer.close()


async def test_closing_sends_what_was_gathered_first() -> None:
    transport, _sends, peer = await _pair()
    transport.write(b"last words")
    transport.close()
    await asyncio.sleep(0.05)
    assert _received(peer) == b"last words"
    assert peer.recv(65536) == b"", "then the end of the stream"
    peer.close()


async def test_an_abort_drops_what_was_gathered() -> None:
    transport, sends, peer = await _pair()
    transport.write(b"never")
    transport.abort()
    await asyncio.sleep(0.05)
    assert sends.calls == 0, "the gathered bytes were never handed to the socket"
    assert peer.recv(65536) == b"", "the connection ended"
    peer.close()


class App:
    """A small ASGI app, one per test (its event belongs to the test's loop): /stream sends one chunk, then waits
    until the test has read it before sending the last; /busy completes its answer, then keeps the loop busy."""

    def __init__(self) -> None:
        self.chunk_read = asyncio.Event()
        self.busy_until: list[float] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/busy":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]})
            await send({"type": "http.response.body", "body": b"done"})
            time.sleep(0.5)  # noqa: ASYNC251 - blocking on purpose: the rest of this step of the loop
            self.busy_until.append(time.monotonic())
            return
        if scope["path"] == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"first\n", "more_body": True})
            await asyncio.wait_for(self.chunk_read.wait(), 5)
            await send({"type": "http.response.body", "body": b"last\n"})
            return
        body = scope["path"].encode()
        headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def server() -> AsyncIterator[tuple[int, App]]:
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()  # connections wait in its backlog until uvicorn accepts them
    app = App()
    config = uvicorn.Config(app, log_level="warning", lifespan="off", http=HTTP_PROTOCOL)
    served = uvicorn.Server(config)
    task = asyncio.create_task(served.serve(sockets=[listening]))
    yield listening.getsockname()[1], app
    served.should_exit = True
    await task


async def _answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    return head, await reader.readexactly(length)


async def test_uvicorn_serves_through_it_on_a_kept_alive_connection(server: tuple[int, App]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server[0])
    for path in (b"/one", b"/two"):
        writer.write(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        head, body = await _answer(reader)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert body == path
    writer.write(b"GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, body = await _answer(reader)
    assert body == b"/bye"
    assert await reader.read() == b"", "the server closes after the answer it was asked to close after"
    writer.close()


async def test_a_streamed_answer_is_sent_a_chunk_at_a_time(server: tuple[int, App]) -> None:
    port, app = server
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    await reader.readuntil(b"\r\n\r\n")
    assert await asyncio.wait_for(reader.readuntil(b"first\n\r\n"), 2) == b"6\r\nfirst\n\r\n", (
        "the first chunk arrives while the app still holds the stream open"
    )
    app.chunk_read.set()
    assert await reader.readuntil(b"0\r\n\r\n") == b"5\r\nlast\n\r\n0\r\n\r\n"
    writer.close()


async def test_a_complete_answer_leaves_before_the_step_that_wrote_it_ends(server: tuple[int, App]) -> None:
    port, app = server
    received: list[float] = []

    def client() -> None:  # a thread: the event loop under test is about to be busy
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"GET /busy HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while not answer.endswith(b"done"):
                chunk = conn.recv(65536)
                if not chunk:
                    return  # closed early: no time recorded, the assertion below says so
                answer += chunk
            received.append(time.monotonic())

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    await asyncio.to_thread(thread.join, 5)
    assert received, "no complete answer"
    assert received[0] < app.busy_until[0], "the answer waited for the rest of the loop's step"


def test_one_send_a_step_under_uvloop_too() -> None:
    """The servers run on uvloop (uvicorn's choice when installed), whose transports send on every write."""
    import uvloop

    uvloop.run(test_the_writes_of_one_step_leave_together_at_its_end())
    uvloop.run(test_a_large_body_leaves_at_once_with_its_head())

"""A tiny Asterisk manager interface for tests: an asyncio TCP server (in a thread of its own, so a CLI command can
connect to it from the test's thread) that replays a recorded AMI conversation. It sends the banner on connect;
each action the client writes gets the next recorded answer to that action, with the client's ActionID."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

EOL = "\r\n"


@dataclass
class Recording:
    banner: str
    answers: dict[str, deque[list[str]]]  # action (lower case) -> its answers in order, each a list of messages


def read_recording(path: Path) -> Recording:
    """`<<< banner` then `>>> Action` blocks, each of messages separated by blank lines; `#` lines are notes."""
    banner, answers = "", defaultdict(deque)
    current: str | None = None
    for block in path.read_text(encoding="utf-8").split("\n>>> "):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        if lines and lines[0] == "<<< banner":
            banner = lines[1]
            continue
        current, body = lines[0].strip().lower(), "\n".join(lines[1:])
        messages = [m.strip("\n") for m in body.split("\n\n") if m.strip()]
        answers[current].append(messages)
    return Recording(banner, dict(answers))


@dataclass
class ReplayServer:
    recording: Recording
    host: str = "127.0.0.1"
    port: int = 0
    actions: list[dict[str, str]] = field(default_factory=list)  # what the client sent, in order

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write((self.recording.banner + EOL).encode())
        await writer.drain()
        try:
            while True:
                raw = await reader.readuntil((EOL + EOL).encode())
                action = dict(line.split(": ", 1) for line in raw.decode().split(EOL) if ": " in line)
                self.actions.append(action)
                name = action.get("Action", "").lower()
                pending = self.recording.answers.get(name)
                if pending:
                    messages = pending.popleft()
                else:
                    messages = [f"Response: Error\nActionID: {{action_id}}\nMessage: {name} is not in the recording"]
                for message in messages:
                    text = message.replace("{action_id}", action.get("ActionID", "")).replace("\n", EOL)
                    writer.write((text + EOL + EOL).encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@contextmanager
def replaying(path: Path) -> Iterator[ReplayServer]:
    """The server listening on a free port of 127.0.0.1 while the block runs."""
    server = ReplayServer(read_recording(path))
    loop = asyncio.new_event_loop()
    started = threading.Event()

    async def serve() -> asyncio.Server:
        listening = await asyncio.start_server(server.handle, server.host, 0)
        server.port = listening.sockets[0].getsockname()[1]
        return listening

    def run() -> None:
        asyncio.set_event_loop(loop)
        holder.append(loop.run_until_complete(serve()))
        started.set()
        loop.run_forever()

    holder: list[asyncio.Server] = []
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(5)
    try:
        yield server
    finally:

        async def stop() -> None:
            holder[0].close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()

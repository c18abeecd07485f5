"""What a long import shares: rows taken in bounded batches, progress on stderr, and Ctrl-C / SIGTERM honoured
between batches (each batch is one transaction, so a stop leaves whole batches committed and nothing half-done)."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterable, Iterator
from types import FrameType, TracebackType
from typing import TypeVar

import click

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of at most `size` items, read lazily: memory holds one batch, whatever the file's length."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class StopSignals:
    """Within `with`, SIGINT and SIGTERM only ask to stop (`requested` names the signal); the loop checks it between
    batches. A second signal acts at once, as without this guard (the open transaction rolls back)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested: str | None = None
        self.code = 0
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, self._ask)
        return self

    def _ask(self, signum: int, frame: FrameType | None) -> None:
        self.requested = signal.Signals(signum).name
        self.code = 128 + signum  # the shell's convention for a process ended by a signal
        self._restore()
        click.echo(f"{self.requested} received: stopping after the batch in progress (again to stop at once)", err=True)

    def _restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._restore()


class Progress:
    """A line on stderr after the first batch, then at most every `every` seconds, and at the end (`finish`): rows
    read, accepted, rejected, and the rate."""

    def __init__(self, label: str, every: float = 2.0) -> None:
        self.label = label
        self.every = every
        self.started = time.monotonic()
        self._last = 0.0
        self._shown = -1
        self.read = self.accepted = self.rejected = 0

    def add(self, *, accepted: int, rejected: int) -> None:
        self.accepted += accepted
        self.rejected += rejected
        self.read += accepted + rejected
        now = time.monotonic()
        if self._last == 0.0 or now - self._last >= self.every:
            self._last = now
            self._show()

    def finish(self) -> None:
        if self._shown != self.read:
            self._show()

    def _show(self) -> None:
        self._shown = self.read
        click.echo(self.line(), err=True)
        sys.stderr.flush()

    def seconds(self) -> float:
        return time.monotonic() - self.started

    def line(self) -> str:
        rate = self.read / max(self.seconds(), 1e-9)
        return (
            f"{self.label}: {self.read:,} rows read, {self.accepted:,} accepted (stored now or before), "
            f"{self.rejected:,} rejected ({rate:,.0f} rows/s)"
        )

"""Base positions over time, from the contract's change log: the client changes the dimensioning by a new contract
file, and each load records `queues.<code>.base_positions` before and after, with its date."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Change:
    """One load of the contract file: the local date it took effect and its field-level changes."""

    on: date
    changes: Sequence[Mapping[str, Any]]  # {"path", "before", "after"}, as contracts.document.diff gives them


def timelines(current: Mapping[str, int], history: Sequence[Change]) -> dict[str, list[tuple[date, int]]]:
    """Per queue code, (from date, positions) oldest first, ending with today's count; a queue added later had 0
    before it. Every count holds from its date until the next one. A change takes effect on its load's date."""
    counts = dict(current)
    steps: dict[str, list[tuple[date, int]]] = {code: [] for code in current}
    for load in sorted(history, key=lambda c: c.on, reverse=True):
        for change in load.changes:
            path = str(change.get("path", ""))
            parts = path.split(".")
            if len(parts) == 3 and parts[0] == "queues" and parts[2] == "base_positions":
                code, before = parts[1], change.get("before")
            elif len(parts) == 2 and parts[0] == "queues" and change.get("before") is None:
                code, before = parts[1], 0  # the queue came with this load
            else:
                continue
            if code not in counts:
                continue  # a queue that has left the contract bills nothing
            steps[code].append((load.on, counts[code]))
            counts[code] = int(before or 0)
    out: dict[str, list[tuple[date, int]]] = {}
    for code, later in steps.items():
        # `date.min` holds the count before the first change; later loads on one date keep the last count.
        entries: dict[date, int] = {date.min: counts[code]}
        for on, n in sorted(later, key=lambda s: s[0]):
            entries[on] = n
        out[code] = sorted(entries.items())
    return out

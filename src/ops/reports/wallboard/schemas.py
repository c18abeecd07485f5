"""The wallboard's shapes at the HTTP edge: the telephony platform's readings in, the board out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar

import msgspec

from ops import bounds

Seconds = Annotated[int, msgspec.Meta(ge=0, le=bounds.MAX_SECONDS)]
Agents = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
MAX_NAME = 128  # a queue's or a contract's name


def _name_problem(value: str | None) -> str | None:
    if value is None:
        return None
    return "must not be empty" if not value.strip() else bounds.text_problem(value, max_length=MAX_NAME)


class _Named(bounds.Bounded):
    """A shape whose `__names__` fields are names: not empty, at most MAX_NAME characters (a 422 naming them)."""

    __names__: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in self.__names__:
            if (problem := _name_problem(getattr(self, name))) is not None:
                raise ValueError(f"{bounds.BOUND_MARK}{name}: {problem}")


class QueueStatsIn(_Named, forbid_unknown_fields=True):
    """One queue's real-time statistics. The counters run from the contract's local midnight."""

    __names__ = ("queue",)

    queue: str  # the platform's queue name (the contract's `wallboard.queues` maps it) or the queue's code
    calls_waiting: bounds.Count
    longest_wait_seconds: Seconds
    agents_logged_in: Agents
    agents_available: Agents
    agents_on_call: Agents
    agents_paused: Agents
    answered: bounds.Count
    abandoned: bounds.Count
    answered_within: bounds.Count
    abandoned_within: bounds.Count = 0
    short_abandons: bounds.Count = 0
    threshold_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] | None = None


class QueueStatsPost(_Named, forbid_unknown_fields=True):
    """A platform's post: its queues, when it read them (now by default), and the contract (the token's own)."""

    __names__ = ("contract",)

    queues: list[QueueStatsIn]  # 1 to MAX_QUEUES, checked by the service so that the 422 names the field
    contract: str | None = None
    observed_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


class StoredOut(msgspec.Struct):
    queue: str
    platform_queue: str
    stored: bool  # False: a newer reading of the queue was already stored (this one is older, and ignored)


class StatsResult(msgspec.Struct):
    contract: str
    observed_at: datetime
    queues: list[StoredOut]


class QueueBoardOut(msgspec.Struct):
    contract: str
    queue: str
    name: str
    observed_at: datetime | None
    stale: bool
    calls_waiting: int | None
    longest_wait_seconds: int | None
    agents_logged_in: int | None
    agents_available: int | None
    agents_on_call: int | None
    agents_paused: int | None
    day: date
    counted_from: datetime | None
    intervals_until: datetime | None
    offered: int
    answered: int
    abandoned: int
    answered_within: int
    service_level: float | None
    target: float
    formula: str
    threshold_seconds: int
    levels: dict[str, str | None]
    level: str | None


class BoardOut(msgspec.Struct):
    generated_at: datetime
    queues: list[QueueBoardOut]

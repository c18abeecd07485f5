"""Asterisk's manager interface (AMI), read for the wallboard with panoramisk: QueueSummary (calls waiting, the
longest hold, agents logged in and available) and QueueStatus (QueueParams: calls completed and abandoned since
the queue's last reset and the service-level performance; QueueMember: who is on a call or paused; QueueEntry:
each waiting call's wait) of every queue, as readings whose counters run since the queue's last reset.

Asterisk reports the calls answered within its `servicelevel` only as a percentage of those completed
(ServicelevelPerf, one decimal), and with the abandoned ones (ServicelevelPerf2, Asterisk 13.20 and later): the
counts are taken back from them, to within 0.05 % of the calls."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from panoramisk import Manager

from ops.reports.wallboard.board import Counters, Reading

# Device states of a queue member (Asterisk's ast_device_state): not logged in, and busy with a call.
LOGGED_OUT = frozenset({4, 5})  # invalid, unavailable
ON_A_CALL = frozenset({2, 3, 6, 7, 8})  # in use, busy, ringing, ringing while in use, on hold


class AmiError(Exception):
    """The manager interface refused or broke off: a sentence for the operator."""


def _int(event: Mapping[str, Any], key: str) -> int:
    try:
        return max(0, int(float(str(event.get(key) or 0))))
    except ValueError:
        return 0


def _float(event: Mapping[str, Any], key: str) -> float | None:
    try:
        return float(str(event[key]))
    except (KeyError, ValueError):
        return None


@dataclass
class _Queue:
    summary: Mapping[str, Any] | None = None
    params: Mapping[str, Any] | None = None
    members: list[Mapping[str, Any]] = field(default_factory=list)
    waits: list[int] = field(default_factory=list)


def readings(events: Iterable[Mapping[str, Any]]) -> list[Reading]:
    """The readings of every queue named in QueueSummary and QueueStatus events (other events are ignored)."""
    queues: dict[str, _Queue] = {}
    for event in events:
        kind, name = str(event.get("Event") or ""), event.get("Queue")
        if not name:
            continue
        queue = queues.setdefault(str(name), _Queue())
        if kind == "QueueSummary":
            queue.summary = event
        elif kind == "QueueParams":
            queue.params = event
        elif kind == "QueueMember":
            queue.members.append(event)
        elif kind == "QueueEntry":
            queue.waits.append(_int(event, "Wait"))
    return [_reading(name, q) for name, q in sorted(queues.items())]


def _reading(name: str, q: _Queue) -> Reading:
    summary, params = q.summary or {}, q.params or {}
    logged_in_members = [m for m in q.members if _int(m, "Status") not in LOGGED_OUT]
    on_call = sum(1 for m in logged_in_members if _int(m, "InCall") == 1 or _int(m, "Status") in ON_A_CALL)
    paused = sum(
        1
        for m in logged_in_members
        if _int(m, "Paused") == 1 and not (_int(m, "InCall") == 1 or _int(m, "Status") in ON_A_CALL)
    )
    logged_in = _int(summary, "LoggedIn") if summary else len(logged_in_members)
    available = _int(summary, "Available") if summary else len(logged_in_members) - on_call - paused
    completed, abandoned = _int(params, "Completed"), _int(params, "Abandoned")
    perf, perf2 = _float(params, "ServicelevelPerf"), _float(params, "ServicelevelPerf2")
    answered_within = min(completed, round(completed * perf / 100)) if perf is not None else 0
    abandoned_within = 0
    if perf2 is not None:
        within = round((completed + abandoned) * perf2 / 100)
        abandoned_within = min(abandoned, max(0, within - answered_within))
    threshold = _int(params, "ServiceLevel")
    waiting = _int(summary, "Callers") if summary else _int(params, "Calls") if params else len(q.waits)
    return Reading(
        queue=name,
        calls_waiting=max(waiting, len(q.waits)),
        longest_wait_seconds=max([_int(summary, "LongestHoldTime"), *q.waits]),
        agents_logged_in=logged_in,
        # The summary and the member list are read a moment apart: never more in a state than are logged in.
        agents_available=min(available, logged_in),
        agents_on_call=min(on_call, logged_in),
        agents_paused=min(paused, logged_in),
        counters=Counters(
            answered=completed, abandoned=abandoned, answered_within=answered_within, abandoned_within=abandoned_within
        ),
        threshold_seconds=threshold or None,
    )


def _events(answer: Any, action: str) -> list[Mapping[str, Any]]:
    """The events of a list action's answer; a lone answer is its refusal (or an empty list)."""
    if isinstance(answer, list):
        return [m for m in answer if m.get("Event")]
    if str(answer.get("Response", "")).lower() == "error":
        raise AmiError(f"{action} refused: {answer.get('Message') or 'no reason given'}")
    return []


@dataclass
class AmiPoller:
    """One connection to the manager interface, logged in, reading every queue on demand."""

    host: str
    port: int
    username: str
    secret: str
    timeout: float = 10.0
    manager: Manager | None = None

    async def __aenter__(self) -> AmiPoller:
        manager = Manager(
            host=self.host,
            port=self.port,
            username=self.username,
            secret=self.secret,
            events="off",  # the wallboard asks; it needs no stream of every call's events
            ping_delay=60,
            reconnect_timeout=5,
            loop=asyncio.get_running_loop(),
        )
        self.manager = manager
        try:
            await asyncio.wait_for(manager.connect(), self.timeout)
        except (OSError, TimeoutError) as exc:
            manager.close()
            raise AmiError(f"cannot reach the manager interface at {self.host}:{self.port}: {exc}") from exc
        login = manager.authenticated_future
        if login is not None:
            try:
                await asyncio.wait_for(asyncio.shield(login), self.timeout)
            except TimeoutError as exc:
                manager.close()
                raise AmiError(f"no answer to the login at {self.host}:{self.port}") from exc
        if not manager.authenticated:
            manager.close()
            raise AmiError(f"the manager interface at {self.host}:{self.port} refused the login of {self.username!r}")
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.manager is not None:
            self.manager.close()

    async def _ask(self, action: str) -> list[Mapping[str, Any]]:
        assert self.manager is not None
        try:
            answer = await asyncio.wait_for(self.manager.send_action({"Action": action}), self.timeout)
        except TimeoutError as exc:
            raise AmiError(f"no answer to {action} within {self.timeout:g} s") from exc
        return _events(answer, action)

    async def read(self) -> list[Reading]:
        """Every queue, now: QueueSummary, then QueueStatus."""
        events: Sequence[Mapping[str, Any]] = [*await self._ask("QueueSummary"), *await self._ask("QueueStatus")]
        return readings(events)

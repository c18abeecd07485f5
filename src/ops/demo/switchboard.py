"""The demo's telephony platform: while the demo serves, it posts the reference contract's inbound voice queues'
real-time statistics to the served API every few seconds with the `telephony` token, as a platform fed by Asterisk
would. Today's counts follow the demo month's intraday shape from local midnight, so the wallboard moves as on a
working day."""

from __future__ import annotations

import asyncio
import math
import threading
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import numpy as np

from ops.demo.voice import VOICE_PROFILE, WEEKDAY_FACTOR, intraday_shape

# The platform's queue names, as the reference contract's `wallboard.queues` maps them.
QUEUES = {"cabonet-care": "care", "cabonet-tech": "helpdesk"}
# The reference contract's voice calendar, in local minutes by weekday (Monday first).
HOURS = ((480, 1260),) * 5 + ((540, 900), (600, 840))
ABANDON = 0.06


def reading(name: str, local: datetime, rng: np.random.Generator) -> dict[str, Any]:
    """One queue's statistics at a local time: the day's calls so far by the intraday shape, a service level that
    drifts around the 80 % target through the day, and the queue's state now."""
    daily, aht, staffed = VOICE_PROFILE[QUEUES[name]]
    daily *= WEEKDAY_FACTOR[local.weekday()]
    minute = local.hour * 60 + local.minute
    opens, closes = HOURS[local.weekday()]
    grid = np.arange(opens, closes, dtype=float)
    weights = intraday_shape(grid)
    offered = int(daily * weights[grid < minute].sum() / weights.sum())
    abandoned = round(offered * ABANDON)
    answered = offered - abandoned
    level = 0.79 + 0.07 * math.sin(minute / 95 + len(name))  # from about 72 % to 86 %
    answered_within = min(answered, round(level * offered))
    open_now = opens <= minute < closes
    per_minute = daily * float(intraday_shape(np.array([float(minute)]))[0]) / weights.sum() if open_now else 0.0
    waiting = int(rng.poisson(per_minute * 0.5))
    logged_in = staffed if open_now else 0
    on_call = min(logged_in, round(per_minute * aht / 60))
    paused = min(logged_in - on_call, int(rng.integers(0, 3)))
    return {
        "queue": name,
        "calls_waiting": waiting,
        "longest_wait_seconds": int(rng.gamma(2.0, 9.0)) if waiting else 0,
        "agents_logged_in": logged_in,
        "agents_available": logged_in - on_call - paused,
        "agents_on_call": on_call,
        "agents_paused": paused,
        "answered": answered,
        "abandoned": abandoned,
        "answered_within": answered_within,
        "threshold_seconds": 20,
    }


async def switchboard(
    http: httpx.AsyncClient,
    token: str,
    *,
    every: float = 5.0,
    timezone: str = "America/Sao_Paulo",
    stop: threading.Event | None = None,
    limit: int | None = None,
    seed: int = 7,
) -> int:
    """Post every `every` seconds until `stop` is set, `limit` posts were tried, or the server goes away; the
    number of posts the API took."""
    stop = stop or threading.Event()
    rng = np.random.default_rng(seed)
    headers = {"Authorization": f"Bearer {token}"}
    taken = tried = 0
    while not stop.is_set() and (limit is None or tried < limit):
        tried += 1
        local = datetime.now(UTC).astimezone(ZoneInfo(timezone))
        body = {"observed_at": local.isoformat(), "queues": [reading(name, local, rng) for name in QUEUES]}
        try:
            response = await http.post("/api/telephony/queues", json=body, headers=headers)
        except httpx.TransportError:
            await asyncio.to_thread(stop.wait, every)  # not up yet, or gone: try again
            continue
        taken += response.status_code == 200
        if limit is None or tried < limit:
            await asyncio.to_thread(stop.wait, every)
    return taken


def start_switchboard(base_url: str, token: str, *, every: float = 5.0) -> threading.Event:
    """Run the switchboard in a daemon thread beside the server; set the returned event to stop it."""
    stop = threading.Event()

    async def run() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            await switchboard(http, token, every=every, stop=stop)

    threading.Thread(target=lambda: asyncio.run(run()), name="demo-switchboard", daemon=True).start()
    return stop

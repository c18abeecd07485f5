"""The demo's telephony platform: statistics a real platform could send (counts that add up and grow through the
day, nobody logged in when the queues are closed)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from ops.demo.switchboard import QUEUES, reading

SP = ZoneInfo("America/Sao_Paulo")


def test_the_days_counts_grow_and_add_up() -> None:
    rng = np.random.default_rng(1)
    before = None
    for hour in (7, 9, 11, 15, 20, 22):
        for name in QUEUES:
            r = reading(name, datetime(2026, 12, 7, hour, 30, tzinfo=SP), rng)
            assert r["answered_within"] <= r["answered"]
            assert r["agents_available"] + r["agents_on_call"] + r["agents_paused"] == r["agents_logged_in"]
            assert all(v >= 0 for v in r.values() if isinstance(v, int))
        care = reading("cabonet-care", datetime(2026, 12, 7, hour, 30, tzinfo=SP), rng)
        offered = care["answered"] + care["abandoned"]
        assert before is None or offered >= before
        before = offered
    night = reading("cabonet-care", datetime(2026, 12, 7, 23, 0, tzinfo=SP), rng)
    assert night["agents_logged_in"] == 0 and night["calls_waiting"] == 0
    assert 900 < night["answered"] + night["abandoned"] < 1600  # a Monday's care calls (1,050 x 1.28)
    sunday = reading("cabonet-care", datetime(2026, 12, 6, 9, 0, tzinfo=SP), rng)  # the voice queues open at 10
    assert sunday["agents_logged_in"] == 0 and sunday["answered"] == 0

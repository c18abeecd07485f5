"""The back-office workload and the reasons a queue is not planned, as the staffing view summarises them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ops.staffing.planning.overview import unplanned, workload_of
from tests.unit.staffing.planning.test_week import BACK_OFFICE, RULES, at, voice_queue, week


def test_a_back_office_week_is_summed_up_from_its_workload_requirement() -> None:
    index = week()
    tickets = np.zeros(len(index))
    tickets[at(index, "2026-03-09 03:00")] = 90  # arrived overnight: worked from the 08:00 opening
    queue = voice_queue(
        code="bo_care",
        method="workload",
        base_positions=6,
        calendar=BACK_OFFICE,
        handle_seconds=840.0,
        sla_minutes=240.0,
    )
    summary = workload_of(queue, pd.DataFrame({"offered": tickets, "aht": 840.0}, index=index), RULES)
    # 90 x 14 min over the 8 business periods of 240 minutes, 21 productive minutes a position: 8 positions
    # from 08:00 to 12:00, 2 above the base of 6 in each of those 8 half hours.
    assert summary == {
        "tickets": 90.0,
        "handle_minutes": 14.0,
        "due_business_hours": 4.0,
        "base_positions": 6,
        "peak_required": 8,
        "position_hours": 32.0,
        "short_intervals": 8,
        "short_position_hours": 8.0,
    }


def test_a_queue_left_out_says_why_in_a_code_and_in_english() -> None:
    assert unplanned("retention", "no_arrivals", channel="outbound_voice") == {
        "queue": "retention",
        "why": "no_arrivals",
        "reason": "outbound_voice: no arrivals to forecast",
    }
    assert unplanned("bo_helpdesk", "no_handle_time")["reason"].startswith("no handle time in the contract")

"""What the staffing view shows beside a week's forecast: each queue's recent forecast accuracy, the back-office
workload (tickets x handle time against their due dates), and why a queue cannot be planned. Pure: no database.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ops.contracts.schemas import ShiftRulesIn
from ops.staffing.forecast.accuracy import Accuracy, recent_accuracy
from ops.staffing.planning.week import QueueInputs, holidays_between, num, requirement_queue

# Why a queue is left out of the plan: a code the pages word in the reader's language, and the API's English.
UNPLANNED: dict[str, str] = {
    "no_arrivals": "{channel}: no arrivals to forecast",
    "no_history": "no history before the week",
    "no_handle_time": "no handle time in the contract (routing.handle_minutes)",
    "no_due_date": "no resolution target in the contract (sla.tickets)",
}


def unplanned(queue: str, why: str, **values: str) -> dict[str, str]:
    """A skipped queue as the plan lists it: its code, why (a code), and the reason in English."""
    return {"queue": queue, "why": why, "reason": UNPLANNED[why].format(**values)}


def accuracy_of(queue: QueueInputs) -> Accuracy | None:
    """WAPE and bias of the last four weeks of the queue's history, holidays from its calendar."""
    offered = queue.history["offered"]
    if offered.dropna().empty:
        return None
    wall = pd.DatetimeIndex(offered.index).tz_convert(queue.tz)
    holidays = holidays_between(queue.calendar, wall.min().date(), wall.max().date())
    return recent_accuracy(offered, holidays=holidays, tz=queue.tz)


def accuracy_json(found: Accuracy | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "weeks": found.weeks,
        "first_day": found.first.isoformat(),
        "last_day": found.last.isoformat(),
        "wape": num(found.wape) if found.wape is not None else None,
        "bias": num(found.bias) if found.bias is not None else None,
        "actual": num(found.actual, 1),
    }


def workload_of(queue: QueueInputs, fc: pd.DataFrame, rules: ShiftRulesIn) -> dict[str, Any]:
    """A back-office queue's week sized by workload: tickets forecast, handle time and due time, and the
    positions that finish every ticket by its due date (peak, position-hours, where the base falls short)."""
    table = requirement_queue(queue, fc, rules)
    required = table["required"].to_numpy(dtype=float)
    base = table["base"].to_numpy(dtype=float)
    short = np.maximum(required - base, 0.0)
    return {
        "tickets": num(float(table["offered"].sum()), 1),
        "handle_minutes": num(queue.handle_seconds / 60, 2),
        "due_business_hours": num(queue.sla_minutes / 60, 2),
        "base_positions": queue.base_positions,
        "peak_required": int(required.max()) if len(required) else 0,
        "position_hours": num(float(required.sum()) / 2, 1),
        "short_intervals": int((short > 0).sum()),
        "short_position_hours": num(float(short.sum()) / 2, 1),
    }

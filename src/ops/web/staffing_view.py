"""What the staffing page shows beside its forecast and plan, shaped for its template: each queue's recent accuracy,
the back-office workload and a sentence per queue not planned (in the reader's language), the plan's shifts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import msgspec

from ops.contracts.models import Queue
from ops.web.i18n import PHRASES, translate


def beside_forecast(forecast: dict[str, Any] | None, queues: Sequence[Queue], lang: str) -> dict[str, Any]:
    """The forecast's recent accuracy per queue, the back-office workload, and a sentence per queue not planned."""
    shown = forecast["queues"] if forecast else []
    accuracy = [
        {
            "code": q["code"],
            "name": q["name"],
            **(
                {
                    **q["accuracy"],
                    "first": date.fromisoformat(q["accuracy"]["first_day"]),
                    "last": date.fromisoformat(q["accuracy"]["last_day"]),
                }
                if q["accuracy"]
                else {}
            ),
        }
        for q in shown
    ]
    by_code = {q.code: q for q in queues}
    reasons = []
    for skipped in forecast["skipped"] if forecast else []:
        queue = by_code.get(skipped["queue"])
        why = skipped.get("why", "")
        if why == "no_history":
            why += "_voice" if queue is not None and queue.channel == "inbound_voice" else "_tickets"
        name = f"{queue.name} ({queue.code})" if queue is not None else skipped["queue"]
        reasons.append(
            {"queue": skipped["queue"], "text": translate(f"st_why_{why}", lang).format(queue=name)}
            if f"st_why_{why}" in PHRASES
            else {"queue": skipped["queue"], "text": f"{name}: {skipped['reason']}"}
        )
    return {
        "accuracy": accuracy,
        "workload": [{"code": q["code"], "name": q["name"], **q["workload"]} for q in shown if q["workload"]],
        "unplanned": reasons,
    }


def timed(shifts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The plan's shifts with their start and end as datetimes, for the page to write in the reader's locale."""
    return [
        {**s, "start_at": datetime.fromisoformat(s["start"]), "end_at": datetime.fromisoformat(s["end"])}
        for s in shifts
    ]


def plan_json(plan: Any) -> dict[str, Any]:
    value: dict[str, Any] = msgspec.to_builtins(plan)
    return value

"""A synthetic interval history for the reference contract's voice queues (Poisson calls, a two-peak day)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import numpy as np
import pandas as pd

TZ = "America/Sao_Paulo"
COLUMNS = (
    "queue",
    "interval_start",
    "offered",
    "answered",
    "answered_within",
    "abandoned",
    "abandoned_within",
    "short_abandons",
    "handle_seconds",
    "wait_seconds",
)


def day_shape(weekday: int) -> np.ndarray:
    """Expected calls per 30-minute slot of a day: two peaks on weekdays, a short Saturday, no Sunday."""
    slots = np.arange(48) / 2  # hour of the slot start
    if weekday == 6:
        return np.zeros(48)
    if weekday == 5:
        return np.where((slots >= 9) & (slots < 15), 20.0, 0.0)
    shape = 25 + 55 * np.exp(-(((slots - 10.5) / 1.3) ** 2)) + 45 * np.exp(-(((slots - 15.5) / 1.5) ** 2))
    return np.where((slots >= 8) & (slots < 21), shape, 0.0)


def interval_rows(
    first: date, days: int, *, queues: dict[str, float], seed: int = 5, aht: float = 300.0
) -> list[dict[str, object]]:
    """One row per queue and interval of `days` days from `first`; `queues` maps a code to a volume scale."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for queue, scale in queues.items():
        for d in range(days):
            day = first + timedelta(days=d)
            starts = pd.date_range(pd.Timestamp(day).tz_localize(TZ), periods=48, freq="30min")
            offered = rng.poisson(day_shape(day.weekday()) * scale)
            for start, n in zip(starts, offered, strict=True):
                abandoned = int(rng.binomial(n, 0.04)) if n else 0
                answered = int(n) - abandoned
                rows.append(
                    {
                        "queue": queue,
                        "interval_start": start.isoformat(),
                        "offered": int(n),
                        "answered": answered,
                        "answered_within": round(answered * 0.8),
                        "abandoned": abandoned,
                        "abandoned_within": abandoned // 2,
                        "short_abandons": abandoned // 3,
                        "handle_seconds": round(answered * aht * float(rng.uniform(0.9, 1.1)), 1),
                        "wait_seconds": round(answered * 12.0, 1),
                    }
                )
    return rows


def interval_csv(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()

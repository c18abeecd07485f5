"""How the forecast fared lately: WAPE and bias of the last weeks with history, each week forecast from the
history before it, exactly as the rolling-origin backtest scores it (the planner's figure and the backtest's agree).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from ops.staffing.forecast.backtest import MODEL, backtest_origins, model_forecaster

RECENT_WEEKS = 4


@dataclass(frozen=True)
class Accuracy:
    """The pooled error of `weeks` one-week forecasts over the days `first` to `last` (local, inclusive).

    `wape` = sum |actual - forecast| / sum actual; `bias` = sum (forecast - actual) / sum actual, positive when
    the forecast ran high. Both None when nothing was offered in those weeks (no volume to be wrong about)."""

    weeks: int
    first: date
    last: date
    wape: float | None
    bias: float | None
    actual: float


def scorable_weeks(history: pd.Series, tz: str) -> int:
    """Whole weeks of history that have at least one whole week of history before them."""
    observed = history.dropna()
    if observed.empty:
        return 0
    wall = pd.DatetimeIndex(observed.index).tz_convert(tz)
    span_days = (wall.max().date() - wall.min().date()).days + 1
    return max(int(span_days) // 7 - 1, 0)


def recent_accuracy(
    history: pd.Series, *, holidays: Collection[date], tz: str, weeks: int = RECENT_WEEKS
) -> Accuracy | None:
    """The model's accuracy over the last `weeks` weeks of `history` (offered per 30-minute interval on a
    tz-aware index), fewer when the history is shorter; None when not even one week can be scored."""
    observed = history.dropna().astype(float)
    scored = min(weeks, scorable_weeks(observed, tz))
    if scored < 1:
        return None
    table = backtest_origins(observed, methods={MODEL: model_forecaster(holidays)}, weeks=scored, tz=tz)
    actual = float(table["actual"].sum())
    first = min(table["origin"])
    return Accuracy(
        weeks=scored,
        first=first,
        last=max(table["origin"]) + timedelta(days=6),
        wape=float(table["abs_error"].sum()) / actual if actual > 0 else None,
        bias=float(table["error"].sum()) / actual if actual > 0 else None,
        actual=actual,
    )

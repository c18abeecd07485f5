"""Forecast offered contacts and AHT per 30-minute interval: level, weekday, day of month, holidays, intraday shape."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

SLOTS_PER_DAY = 48
HOLIDAY = 7  # day type after Monday=0 .. Sunday=6
_DAY_TYPES = 8


@dataclass(frozen=True)
class ForecastConfig:
    """Knobs of the model; the defaults were chosen with the rolling-origin backtest (backtest.py)."""

    history_weeks: int = 53  # history searched for day-of-month factors and past holidays
    profile_weeks: int = 20  # weeks behind the weekday factors and intraday shapes
    profile_half_life: float = 8.0  # weeks; older weeks weigh less in the weekday factors (and in AHT)
    # Each day type's intraday shares take the half-life that forecast its shapes best over the last
    # `share_trial_weeks` weeks of history: most shapes are stable, but a shape tied to sunset (the
    # Israeli Friday and Saturday around the Sabbath) drifts with the season and needs recent weeks.
    share_half_lives: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)  # weeks
    share_trial_weeks: int = 8
    # Each slot's daily share is clipped to its 10th and 90th percentiles over the day type's days
    # before averaging: a burst of redials or an outage moves the shape little. WAPE is an absolute
    # error, which rewards the typical share over a mean pulled by rare extremes.
    share_winsor: float = 0.1
    level_half_life: float = 1.0  # weeks; the level follows recent weeks faster than the shapes
    local_level_days: int = 29  # centred window of the local level; about a month cancels the monthly cycle
    month_prior_days: float = 1.0  # pseudo-days pulling each day-of-month factor towards 1
    month_min_weeks: int = 8  # a shorter history cannot tell a monthly cycle from a trend: factors stay 1
    month_smoothing: float = 0.25  # weight of each neighbouring day of the month in a day's factor
    trend_damping: float = 0.0  # 0: flat level; 0.8 keeps 80 % of the weekly growth each further week
    outlier_low: float = 0.5  # days under half (or over 1.8 times) their expected volume look like
    outlier_high: float = 1.8  # unlisted holidays or outages: they are left out of the factors
    min_coverage: float = 0.5  # a day whose observed slots hold less of its volume has no usable total
    open_share: float = 0.25  # a weekday with less than this share of the busiest weekday's volume is closed
    catch_up_prior_days: float = 1.0  # pseudo-days pulling the after-holiday factor towards 1
    aht_prior_calls: float = 200.0  # pseudo-calls pulling a thin interval's AHT towards its day type's AHT


@dataclass(frozen=True)
class DaySlots:
    """History laid out as one row per local calendar day and one column per 30-minute slot (NaN: unseen)."""

    first_day: date
    values: np.ndarray

    @property
    def days(self) -> int:
        return int(self.values.shape[0])


def _wall_clock(index: pd.DatetimeIndex, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """Local day number (since 1970-01-01) and slot of each timestamp; rejects off-grid timestamps."""
    if index.tz is None:
        raise ValueError("history timestamps must be time-zone aware")
    wall = index.tz_convert(tz).tz_localize(None).to_numpy().astype("datetime64[m]")
    day = wall.astype("datetime64[D]")
    minutes = (wall - day).astype(np.int64)
    if np.any(minutes % 30):
        raise ValueError("history must be at 30-minute intervals starting on the hour or half hour")
    return day.astype(np.int64), minutes // 30


def _day_number(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def day_slots(series: pd.Series, *, tz: str, first_day: date, end_day: date) -> DaySlots:
    """Lay `series` out by local day in [first_day, end_day); a repeated wall-clock slot keeps its mean."""
    days = (end_day - first_day).days
    total = np.zeros((days, SLOTS_PER_DAY))
    count = np.zeros((days, SLOTS_PER_DAY))
    values = series.to_numpy(dtype=float)
    if len(values):
        day, slot = _wall_clock(pd.DatetimeIndex(series.index), tz)
        row = day - _day_number(first_day)
        keep = (row >= 0) & (row < days) & np.isfinite(values)
        np.add.at(total, (row[keep], slot[keep]), values[keep])
        np.add.at(count, (row[keep], slot[keep]), 1.0)
    return DaySlots(first_day, np.where(count > 0, total / np.maximum(count, 1.0), np.nan))


def horizon_index(start: date, weeks: int, tz: str) -> pd.DatetimeIndex:
    """Every 30-minute interval start of `weeks` weeks from local midnight of `start` (46 or 50 on DST days)."""
    begin, end = (
        pd.Timestamp(d).tz_localize(tz, nonexistent="shift_forward", ambiguous=True)
        for d in (start, start + timedelta(days=7 * weeks))
    )
    return pd.date_range(begin, end, freq="30min", inclusive="left", name="interval_start")


def day_types(first_day: date, days: int, holidays: Collection[date]) -> np.ndarray:
    """Weekday (Monday 0) of each day, or HOLIDAY for the calendar's holidays."""
    dates = (first_day + timedelta(days=i) for i in range(days))
    return np.array([HOLIDAY if d in holidays else d.weekday() for d in dates], dtype=np.int64)


def _month_days(first_day: date, days: int) -> np.ndarray:
    return np.array([(first_day + timedelta(days=i)).day for i in range(days)], dtype=np.int64)


def _shares_and_totals(
    values: np.ndarray, types: np.ndarray, weights: np.ndarray, min_coverage: float
) -> tuple[np.ndarray, np.ndarray]:
    """Intraday shares per day type (rows sum to 1) and each day's total, scaled up over its gaps.

    A day missing some slots gets the total its observed slots imply under its type's shares, so a
    gap is unknown volume, not zero volume.
    """
    observed = np.isfinite(values)
    volume = np.where(observed, values, 0.0)
    totals = volume.sum(axis=1)
    shares = np.zeros((_DAY_TYPES, SLOTS_PER_DAY))
    for _ in range(3):
        w = np.where(np.isfinite(totals), weights, 0.0)[:, None]
        slot_volume = np.zeros((_DAY_TYPES, SLOTS_PER_DAY))
        day_volume = np.zeros((_DAY_TYPES, SLOTS_PER_DAY))
        np.add.at(slot_volume, types, volume * w)
        np.add.at(day_volume, types, np.where(observed, np.nan_to_num(totals)[:, None], 0.0) * w)
        shares = np.divide(slot_volume, day_volume, out=np.zeros_like(slot_volume), where=day_volume > 0)
        row_sums = shares.sum(axis=1, keepdims=True)
        shares = np.divide(shares, row_sums, out=np.zeros_like(shares), where=row_sums > 0)
        coverage = np.where(observed, shares[types], 0.0).sum(axis=1)
        enough = (coverage >= min_coverage) | (observed.any(axis=1) & (shares[types].sum(axis=1) == 0))
        totals = np.where(enough, volume.sum(axis=1) / np.where(coverage > 0, coverage, 1.0), np.nan)
    return shares, totals


def _local_level(base: np.ndarray, window: int) -> np.ndarray:
    """Centred moving mean that skips unknown days; near the end of history it only looks back."""
    return np.asarray(pd.Series(base).rolling(window, center=True, min_periods=1).mean().to_numpy(dtype=float))


@dataclass(frozen=True)
class _Daily:
    weekday: np.ndarray  # (day types,) volume of a day of each type relative to the level
    month_day: np.ndarray  # (32,) factor of each day of the month, index 0 unused
    base: np.ndarray  # (days,) totals with weekday and month-day effects removed
    local: np.ndarray  # (days,) local level around each day
    usable: np.ndarray  # (days,) days that entered the factors


def _daily_factors(
    totals: np.ndarray,
    types: np.ndarray,
    dom: np.ndarray,
    recent: np.ndarray,
    config: ForecastConfig,
    exclude: np.ndarray | None = None,
) -> _Daily:
    """Weekday and day-of-month factors of daily volume, by backfitting against a moving local level."""
    usable = np.isfinite(totals) & (types != HOLIDAY)
    if exclude is not None:
        usable &= ~exclude
    weekday = np.ones(_DAY_TYPES)
    month_day = np.ones(32)
    base = local = np.full(len(totals), np.nan)
    for _ in range(4):
        seasonal = weekday[types] * month_day[dom]
        base = np.where(usable & (seasonal > 0), totals / np.where(seasonal > 0, seasonal, 1.0), np.nan)
        local = _local_level(base, config.local_level_days)
        ratio = np.where(usable & (local > 0), totals / np.where(local > 0, local, 1.0), np.nan)
        seen = np.isfinite(ratio)
        w = np.where(seen, recent, 0.0)
        by_type = np.bincount(types, np.where(seen, ratio / month_day[dom], 0.0) * w, minlength=_DAY_TYPES)
        type_weight = np.bincount(types, w, minlength=_DAY_TYPES)
        weekday = np.divide(by_type, type_weight, out=np.full(_DAY_TYPES, np.nan), where=type_weight > 0)
        open_types = np.isfinite(weekday[:HOLIDAY]) & (weekday[:HOLIDAY] > 0)
        weekday = weekday / np.mean(weekday[:HOLIDAY][open_types]) if open_types.any() else weekday
        weekday = np.nan_to_num(weekday, nan=0.0)
        if _span_days(usable) >= 7 * config.month_min_weeks:
            with np.errstate(invalid="ignore", divide="ignore"):
                month_day = _month_day_factors(ratio / weekday[types], dom, config)
        expected = weekday[types] * month_day[dom]
        with np.errstate(invalid="ignore", divide="ignore"):
            surprise = ratio / expected
        usable &= ~((surprise < config.outlier_low) | (surprise > config.outlier_high))
    return _Daily(weekday=weekday, month_day=month_day, base=base, local=local, usable=usable)


def _span_days(days: np.ndarray) -> int:
    found = np.flatnonzero(days)
    return int(found[-1] - found[0] + 1) if len(found) else 0


def _month_day_factors(ratio: np.ndarray, dom: np.ndarray, config: ForecastConfig) -> np.ndarray:
    """Mean ratio per day of month, smoothed with its neighbours and shrunk towards 1 when days are few."""
    seen = np.isfinite(ratio)
    side = config.month_smoothing
    prior_days = config.month_prior_days
    sums = np.bincount(dom[seen], ratio[seen], minlength=32)[1:]
    counts = np.bincount(dom[seen], minlength=32)[1:].astype(float)
    # The month wraps: day 31 neighbours day 1 (month-end and month-start effects run together).
    kernel_sums = (1 - 2 * side) * sums + side * (np.roll(sums, 1) + np.roll(sums, -1))
    kernel_counts = (1 - 2 * side) * counts + side * (np.roll(counts, 1) + np.roll(counts, -1))
    factors = (kernel_sums + prior_days) / (kernel_counts + prior_days)
    return np.concatenate([[1.0], factors / np.mean(factors)])


def _project_level(base: np.ndarray, seasonal: np.ndarray, config: ForecastConfig) -> tuple[float, float]:
    """Exponentially weighted recent level and a damped multiplicative weekly growth (newest day last).

    Days weigh by their expected volume, so a quiet Saturday's noise moves the level little.
    """
    age = (len(base) - 1 - np.arange(len(base))) / 7.0
    seen = np.isfinite(base)
    if not seen.any():
        return 0.0, 1.0
    weights = np.where(seen, 0.5 ** (age / config.level_half_life), 0.0) * seasonal
    level = float(np.sum(weights * np.nan_to_num(base)) / np.sum(weights))
    usable = seen & (age < config.profile_weeks) & (base > 0)
    if config.trend_damping <= 0 or np.count_nonzero(usable) < 14:
        return level, 1.0
    # Weighted least squares of log level on age: one odd week moves the slope little.
    w = 0.5 ** (age[usable] / config.profile_half_life)
    x = age[usable]
    y = np.log(base[usable])
    x_mean = np.sum(w * x) / np.sum(w)
    slope = -np.sum(w * (x - x_mean) * (y - np.sum(w * y) / np.sum(w))) / np.sum(w * (x - x_mean) ** 2)
    return level, float(np.exp(slope))


def _aht_table(
    handled: np.ndarray, handle: np.ndarray, types: np.ndarray, weights: np.ndarray, prior_calls: float
) -> np.ndarray:
    """AHT per day type and slot: handle over handled, shrunk towards the day type's AHT where calls are few."""
    both = np.isfinite(handled) & np.isfinite(handle)
    calls = np.zeros((_DAY_TYPES, SLOTS_PER_DAY))
    seconds = np.zeros((_DAY_TYPES, SLOTS_PER_DAY))
    np.add.at(calls, types, np.where(both, handled, 0.0) * weights[:, None])
    np.add.at(seconds, types, np.where(both, handle, 0.0) * weights[:, None])
    overall = seconds.sum() / calls.sum() if calls.sum() > 0 else np.nan
    day_calls = calls.sum(axis=1, keepdims=True)
    day_seconds = seconds.sum(axis=1, keepdims=True)
    day_aht = np.divide(day_seconds, day_calls, out=np.full_like(day_calls, overall), where=day_calls > 0)
    weight = calls + prior_calls
    numerator = seconds + prior_calls * day_aht
    fallback = np.broadcast_to(day_aht, weight.shape).copy()
    return np.asarray(np.divide(numerator, weight, out=fallback, where=weight > 0))


def _split(history: pd.Series | pd.DataFrame) -> tuple[pd.Series, pd.Series | None, pd.Series | None]:
    """Offered, handle seconds and handled contacts (answered; offered when not given)."""
    if isinstance(history, pd.Series):
        return history, None, None
    if "offered" not in history.columns:
        raise ValueError("history needs an 'offered' column (and optionally 'handle_seconds', 'answered')")
    offered = history["offered"]
    if "handle_seconds" not in history.columns:
        return offered, None, None
    handled = history["answered"] if "answered" in history.columns else offered
    return offered, history["handle_seconds"], handled


def forecast(
    history: pd.Series | pd.DataFrame,
    *,
    holidays: Collection[date],
    start: date,
    weeks: int,
    tz: str | None = None,
    config: ForecastConfig | None = None,
) -> pd.DataFrame:
    """Forecast `offered` and `aht` (seconds) for every 30-minute interval of `weeks` weeks from `start`.

    `history` is offered contacts per interval (a Series, or a DataFrame with `offered` and optionally
    `handle_seconds` and `answered`) on a tz-aware index; only intervals before local midnight of `start` are used.
    Missing intervals and days are unknown, not zero. Daily volume = level x weekday factor x
    day-of-month factor, spread over the day by the weekday's intraday shares. Holidays use what past
    holidays looked like, or the quietest weekday when history has none. A slot never seen for a
    day type is forecast as zero. `aht` is handle seconds over answered contacts (over offered when
    `answered` is absent), NaN without handle data.
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    config = config or ForecastConfig()
    offered, handle, handled = _split(history)
    zone = tz or (str(offered.index.tz) if getattr(offered.index, "tz", None) is not None else None)
    if zone is None:
        raise ValueError("history timestamps must be time-zone aware")
    if (offered.dropna() < 0).any():
        raise ValueError("offered contacts cannot be negative")

    first_day = start - timedelta(days=7 * max(config.history_weeks, config.profile_weeks))
    past = day_slots(offered, tz=zone, first_day=first_day, end_day=start)
    types = day_types(first_day, past.days, holidays)
    future = day_types(start, 7 * weeks, holidays)
    age_weeks = (past.days - 1 - np.arange(past.days)) / 7.0
    recent = np.where(age_weeks < config.profile_weeks, 0.5 ** (age_weeks / config.profile_half_life), 0.0)
    model = _fit(past, types, future, recent, config)

    index = horizon_index(start, weeks, zone)
    day, slot = _wall_clock(index, zone)
    offset = day - _day_number(start)
    kind = future[offset]
    month_day = np.where(kind == HOLIDAY, 1.0, model.month_day[_month_days(start, 7 * weeks)[offset]])
    trend = _damped_growth(model.growth, offset // 7 + 1, config.trend_damping)
    after_holiday = np.where(model.catch_up_days[offset], model.catch_up, 1.0)
    day_total = model.level * model.weekday[kind] * month_day * trend * after_holiday
    offered_forecast = np.maximum(day_total * model.shares[kind, slot], 0.0)

    aht = np.full(len(index), np.nan)
    if handle is not None and handled is not None:
        seconds = day_slots(handle, tz=zone, first_day=first_day, end_day=start).values
        calls = day_slots(handled, tz=zone, first_day=first_day, end_day=start).values
        # Holidays are too few for an AHT of their own: they take the quietest weekday's.
        aht_types = np.where(types == HOLIDAY, model.quietest, types)
        table = _aht_table(calls, seconds, aht_types, recent, config.aht_prior_calls)
        aht = table[np.where(kind == HOLIDAY, model.quietest, kind), slot]
    return pd.DataFrame({"offered": offered_forecast, "aht": aht}, index=index)


@dataclass(frozen=True)
class _Model:
    shares: np.ndarray  # (day types, slots) intraday shares, rows sum to 1 (or 0 when never open)
    weekday: np.ndarray  # (day types,) daily volume relative to the level, HOLIDAY included
    month_day: np.ndarray  # (32,) day-of-month factors
    level: float  # daily volume of an average weekday, day-of-month effect removed
    growth: float  # weekly multiplicative trend (1: flat)
    catch_up: float  # factor of the first open day after a closing holiday
    catch_up_days: np.ndarray  # (horizon days,) which horizon days are such first days
    quietest: int  # weekday standing in for holidays the history has never shown


def _fit(past: DaySlots, types: np.ndarray, future: np.ndarray, recent: np.ndarray, config: ForecastConfig) -> _Model:
    dom = _month_days(past.first_day, past.days)
    # Past holidays are rare, so every one in the history counts, whatever its age.
    share_weights = np.where(types == HOLIDAY, 1.0, recent)
    _, totals = _shares_and_totals(past.values, types, share_weights, config.min_coverage)
    daily = _daily_factors(totals, types, dom, recent, config)
    weekdays = (past.first_day.weekday() + np.arange(past.days + len(future))) % 7
    catch_up_days = _after_closures(
        np.concatenate([types, future]), weekdays, _open_weekdays(daily.weekday, config.open_share)
    )
    # Catch-up days would inflate the weekday factors and the level: fit without them.
    daily = _daily_factors(totals, types, dom, recent, config, exclude=catch_up_days[: past.days])
    if config.share_half_lives:
        share_weights = _share_weights(past.values, types, daily.usable, config)
    usable_weights = np.where(daily.usable | (types == HOLIDAY), share_weights, 0.0)
    shares, totals = _shares_and_totals(past.values, types, usable_weights, config.min_coverage)
    if config.share_winsor > 0:
        clipped = _winsorise(past.values, types, totals, usable_weights, config.share_winsor)
        shares, _ = _shares_and_totals(clipped, types, usable_weights, config.min_coverage)
    weekday = daily.weekday.copy()
    quietest = _quietest_weekday(weekday)
    holiday_days = (types == HOLIDAY) & np.isfinite(totals) & (daily.local > 0)
    if holiday_days.any():
        weekday[HOLIDAY] = float(np.mean(totals[holiday_days] / daily.local[holiday_days]))
    else:
        weekday[HOLIDAY] = weekday[quietest]
        shares[HOLIDAY] = shares[quietest]
    level, growth = _project_level(daily.base, weekday[types] * daily.month_day[dom], config)
    catch_up = 1.0
    if weekday[HOLIDAY] < config.open_share * np.max(weekday[:HOLIDAY]):
        catch_up = _catch_up_factor(totals, daily, types, dom, catch_up_days[: past.days], config)
    return _Model(
        shares=shares,
        weekday=weekday,
        month_day=daily.month_day,
        level=level,
        growth=growth,
        catch_up=catch_up,
        catch_up_days=catch_up_days[past.days :],
        quietest=quietest,
    )


def _share_weights(values: np.ndarray, types: np.ndarray, usable: np.ndarray, config: ForecastConfig) -> np.ndarray:
    """Day weights for the intraday shares: each day type decays with the half-life of `share_half_lives`
    whose shares best forecast the following week over the last `share_trial_weeks` weeks of history.

    A trial's error is absolute, over each target day's observed slots scaled to its observed volume.
    """
    days = len(types)
    observed = np.isfinite(values)
    volume = np.where(observed, values, 0.0)
    ends = [days - 7 * j for j in range(1, config.share_trial_weeks + 1) if days - 7 * j > 7]
    trial = np.concatenate([np.arange(end, min(end + 7, days)) for end in ends] or [np.zeros(0, np.int64)])
    origin = np.concatenate([np.full(min(7, days - end), j) for j, end in enumerate(ends)] or [np.zeros(0, np.int64)])
    keep = usable[trial] & (volume[trial].sum(axis=1) > 0)
    trial, origin = trial[keep], origin[keep]
    candidates = np.asarray(config.share_half_lives, dtype=float)
    errors = np.zeros((len(candidates), _DAY_TYPES))
    of_type = np.eye(_DAY_TYPES)[types] * usable[:, None]
    age = (np.asarray(ends)[:, None] - 1 - np.arange(days)[None, :]) / 7.0
    for k, half_life in enumerate(candidates):
        decay = np.where((age >= 0) & (age < config.profile_weeks), 0.5 ** (age / half_life), 0.0)
        sums = (decay[:, None, :] * of_type.T[None, :, :]) @ volume  # (origin, day type, slot)
        row = sums.sum(axis=2, keepdims=True)
        shares = np.divide(sums, row, out=np.zeros_like(sums), where=row > 0)
        expected = np.where(observed[trial], shares[origin, types[trial]], 0.0)
        expected_sum = expected.sum(axis=1)
        scale = np.divide(volume[trial].sum(axis=1), expected_sum, out=np.zeros(len(trial)), where=expected_sum > 0)
        np.add.at(errors[k], types[trial], np.abs(volume[trial] - scale[:, None] * expected).sum(axis=1))
    tried = np.bincount(types[trial], minlength=_DAY_TYPES) > 0
    # On a tie (a noiseless history) the longest half-life wins: it averages the most days.
    longest_best = len(candidates) - 1 - np.argmin(errors[::-1], axis=0)
    best = np.where(tried, candidates[longest_best], config.profile_half_life)
    age_now = (days - 1 - np.arange(days)) / 7.0
    weights = np.where(age_now < config.profile_weeks, 0.5 ** (age_now / best[types]), 0.0)
    # Past holidays are rare, so every one in the history counts, whatever its age.
    return np.asarray(np.where(types == HOLIDAY, 1.0, weights))


def _winsorise(values: np.ndarray, types: np.ndarray, totals: np.ndarray, weights: np.ndarray, q: float) -> np.ndarray:
    """Clip each slot of each day to the [q, 1 - q] quantiles of that slot's daily share over its day type."""
    clipped = values.copy()
    known = np.isfinite(totals) & (totals > 0)
    for kind in range(_DAY_TYPES):
        rows = (types == kind) & known & (weights > 0)
        # Quantiles of a handful of days would clip ordinary variation.
        if np.count_nonzero(rows) < 5:
            continue
        daily_shares = values[rows] / totals[rows, None]
        low, high = _column_quantile(daily_shares, q), _column_quantile(daily_shares, 1 - q)
        clipped[rows] = np.clip(values[rows], low * totals[rows, None], high * totals[rows, None])
    return clipped


def _column_quantile(x: np.ndarray, q: float) -> np.ndarray:
    """Linear-interpolated q-quantile of each column over its finite values (NaN for a column with none).

    np.nanquantile loops over columns in Python; this sorts once.
    """
    ordered = np.sort(x, axis=0)  # NaNs sort last
    count = np.isfinite(x).sum(axis=0)
    position = q * np.maximum(count - 1, 0)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(count - 1, 0))
    columns = np.arange(x.shape[1])
    low, high = ordered[below, columns], ordered[above, columns]
    result = low + (position - below) * (high - low)
    return np.asarray(np.where(count > 0, result, np.nan))


def _damped_growth(growth: float, weeks_ahead: np.ndarray, damping: float) -> np.ndarray:
    """Cumulative growth after n weeks when each further week keeps `damping` of the previous growth."""
    if growth == 1.0 or damping <= 0:
        return np.ones(len(weeks_ahead))
    exponent = np.array([sum(damping**i for i in range(1, n + 1)) for n in weeks_ahead])
    return np.asarray(growth**exponent)


def _open_weekdays(weekday: np.ndarray, open_share: float) -> np.ndarray:
    return np.asarray(weekday[:HOLIDAY] >= open_share * np.max(weekday[:HOLIDAY]))


def _after_closures(types: np.ndarray, weekdays: np.ndarray, open_weekdays: np.ndarray) -> np.ndarray:
    """Flag the first open day after a holiday that closed an open weekday: callers catch up on it."""
    flags = np.zeros(len(types), dtype=bool)
    pending = False
    for i, (kind, weekday) in enumerate(zip(types, weekdays, strict=True)):
        if kind == HOLIDAY:
            pending = pending or bool(open_weekdays[weekday])
        elif open_weekdays[kind]:
            flags[i] = pending
            pending = False
    return flags


def _catch_up_factor(
    totals: np.ndarray, daily: _Daily, types: np.ndarray, dom: np.ndarray, flags: np.ndarray, config: ForecastConfig
) -> float:
    """Mean excess volume of past first days after a closing holiday, shrunk towards none."""
    expected = daily.local * daily.weekday[types] * daily.month_day[dom]
    seen = flags & np.isfinite(totals) & (expected > 0)
    surprise = totals[seen] / expected[seen]
    prior = config.catch_up_prior_days
    return float((np.sum(surprise) + prior) / (len(surprise) + prior))


def _quietest_weekday(weekday: np.ndarray) -> int:
    return int(np.argmin(weekday[:HOLIDAY]))

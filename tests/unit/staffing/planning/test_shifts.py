from datetime import date, time, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.staffing.planning.oncall import OnCallRules
from ops.staffing.planning.shifts import Plan, ShiftRules, plan_reinforcement

TZ = "America/Sao_Paulo"
MONDAY = date(2026, 3, 2)


def requirement(
    needs: dict[str, list[tuple[str, str, int]]], *, first: date = MONDAY, days: int = 1, tz: str = TZ
) -> pd.DataFrame:
    """Required positions per queue as (from, to, positions) windows of local time; no base."""
    start = pd.Timestamp(first).tz_localize(tz)
    end = pd.Timestamp(first + timedelta(days=days)).tz_localize(tz)
    index = pd.date_range(start, end, freq="30min", inclusive="left")
    frames = []
    for queue, windows in needs.items():
        required = np.zeros(len(index))
        for begin, end, positions in windows:
            inside = (index >= pd.Timestamp(begin).tz_localize(tz)) & (index < pd.Timestamp(end).tz_localize(tz))
            required[inside] += positions
        frames.append(pd.DataFrame({"queue": queue, "interval_start": index, "required": required, "base": 0.0}))
    return pd.concat(frames, ignore_index=True)


def planned(plan: Plan, queue: str, begin: str, end: str) -> list[int]:
    rows = plan.intervals[plan.intervals["queue"] == queue]
    stamps = rows["interval_start"]
    inside = (stamps >= pd.Timestamp(begin).tz_localize(TZ)) & (stamps < pd.Timestamp(end).tz_localize(TZ))
    return [int(p) for p in rows.loc[inside, "planned"]]


def test_a_four_hour_peak_gets_one_four_hour_shift_not_an_eight_hour_one() -> None:
    req = requirement({"care": [("2026-03-02 10:00", "2026-03-02 14:00", 1)]})
    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30)))
    assert plan.status == "optimal"
    assert len(plan.shifts) == 1
    shift = plan.shifts.iloc[0]
    assert (shift["start"], shift["length_hours"], shift["count"]) == (
        pd.Timestamp("2026-03-02 10:00", tz=TZ),
        4.0,
        1,
    )
    assert plan.cost == Decimal("120.00")
    assert plan.intervals["uncovered"].sum() == 0
    assert plan.lp_bound == pytest.approx(120.0)
    assert plan.gap == pytest.approx(0.0)


def test_the_base_absorbs_the_requirement_before_any_reinforcement() -> None:
    req = requirement({"care": [("2026-03-02 10:00", "2026-03-02 14:00", 3)]})
    req["base"] = 2.0
    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30)))
    assert int(plan.shifts["count"].sum()) == 1
    assert planned(plan, "care", "2026-03-02 10:00", "2026-03-02 14:00") == [1] * 8


def test_an_eight_hour_need_uses_one_eight_hour_shift_when_hours_cost_the_same() -> None:
    req = requirement({"care": [("2026-03-02 09:00", "2026-03-02 17:00", 2)]})
    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30)))
    assert plan.shifts[["length_hours", "count"]].values.tolist() == [[8.0, 2]]
    assert plan.cost == Decimal("480.00")


def test_interval_cap_reports_uncovered_positions_instead_of_failing() -> None:
    req = requirement({"care": [("2026-03-02 10:00", "2026-03-02 14:00", 3)]})
    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30), max_per_interval=2))
    assert plan.status == "optimal"
    peak = plan.intervals[plan.intervals["gap"] > 0]
    assert peak["planned"].tolist() == [2] * 8
    assert peak["uncovered"].tolist() == [1.0] * 8


def test_day_cap_limits_the_shifts_starting_each_day() -> None:
    req = requirement(
        {"care": [("2026-03-02 08:00", "2026-03-02 10:00", 1), ("2026-03-02 18:00", "2026-03-02 20:00", 1)]}
    )
    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30), lengths_hours=(4.0,), max_per_day=1))
    assert int(plan.shifts["count"].sum()) == 1
    assert plan.intervals["uncovered"].sum() == 4


def test_a_blended_agent_never_counts_for_two_queues_at_once() -> None:
    window = ("2026-03-02 10:00", "2026-03-02 14:00", 1)
    req = requirement({"care": [window], "helpdesk": [window]})
    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30)), blends=[frozenset({"care", "helpdesk"})])
    assert int(plan.shifts["count"].sum()) == 2
    assert plan.cost == Decimal("240.00")
    assert planned(plan, "care", "2026-03-02 10:00", "2026-03-02 14:00") == [1] * 8
    assert planned(plan, "helpdesk", "2026-03-02 10:00", "2026-03-02 14:00") == [1] * 8


def test_a_blended_agent_covers_two_queues_one_after_the_other() -> None:
    req = requirement(
        {
            "care": [("2026-03-02 10:00", "2026-03-02 12:00", 1)],
            "helpdesk": [("2026-03-02 12:00", "2026-03-02 14:00", 1)],
        }
    )
    rules = ShiftRules(hourly_cost={"care": Decimal(30), "helpdesk": Decimal(34)})
    alone = plan_reinforcement(req, rules)
    blended = plan_reinforcement(req, rules, blends=[frozenset({"care", "helpdesk"})])
    assert alone.cost == Decimal("256.00")
    assert blended.shifts[["queue", "count"]].values.tolist() == [["care+helpdesk", 1]]
    assert blended.cost == Decimal("136.00")  # the blend is paid the dearer queue's rate
    assert planned(blended, "care", "2026-03-02 10:00", "2026-03-02 12:00") == [1] * 4
    assert planned(blended, "helpdesk", "2026-03-02 12:00", "2026-03-02 14:00") == [1] * 4


def test_a_shift_crossing_midnight_covers_the_late_and_early_intervals() -> None:
    req = requirement({"care": [("2026-03-02 22:00", "2026-03-03 02:00", 1)]}, days=2)
    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30), lengths_hours=(4.0, 8.0)))
    shift = plan.shifts.iloc[0]
    assert (shift["start"], shift["day"], shift["length_hours"]) == (
        pd.Timestamp("2026-03-02 22:00", tz=TZ),
        MONDAY,
        4.0,
    )
    assert planned(plan, "care", "2026-03-02 21:30", "2026-03-03 02:30") == [0] + [1] * 8 + [0]
    assert plan.intervals["planned"].sum() == 8


def test_a_break_leaves_its_interval_uncovered_by_the_shift() -> None:
    req = requirement({"care": [("2026-03-02 08:00", "2026-03-02 14:00", 1)]})
    rules = ShiftRules(
        hourly_cost=Decimal(30),
        lengths_hours=(6.0,),
        break_after_hours=3.0,
        break_minutes=30,
        uncovered_penalty=20.0,
    )
    plan = plan_reinforcement(req, rules)
    assert plan.shifts[["start", "count"]].values.tolist() == [[pd.Timestamp("2026-03-02 08:00", tz=TZ), 1]]
    assert planned(plan, "care", "2026-03-02 08:00", "2026-03-02 14:00") == [1] * 6 + [0] + [1] * 5
    assert plan.intervals["uncovered"].sum() == 1


def test_shifts_shorter_than_the_break_threshold_take_no_break() -> None:
    req = requirement({"care": [("2026-03-02 08:00", "2026-03-02 12:00", 1)]})
    rules = ShiftRules(hourly_cost=Decimal(30), lengths_hours=(4.0,), break_after_hours=2.0, break_minutes=30)
    plan = plan_reinforcement(req, rules)
    assert planned(plan, "care", "2026-03-02 08:00", "2026-03-02 12:00") == [1] * 8


def test_allowed_starts_are_respected() -> None:
    req = requirement({"care": [("2026-03-02 10:00", "2026-03-02 14:00", 1)]})
    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30), allowed_starts=(time(8), time(14))))
    assert plan.shifts[["start", "length_hours"]].values.tolist() == [[pd.Timestamp("2026-03-02 08:00", tz=TZ), 6.0]]


def test_lp_bound_sits_below_the_integer_plan_and_the_gap_is_relative_to_the_plan() -> None:
    # Shifts cover {0,1}, {1,2} (1 h) or {0,2} (1.5 h with a break in the middle): the LP takes half of
    # each for 1.75 h of pay, the integer plan needs two 1-hour shifts.
    req = requirement({"care": [("2026-03-02 00:00", "2026-03-02 01:30", 1)]})
    req = req[req["interval_start"] < pd.Timestamp("2026-03-02 01:30", tz=TZ)]
    rules = ShiftRules(
        hourly_cost=Decimal(100),
        lengths_hours=(1.0, 1.5),
        allowed_starts=(time(0), time(0, 30)),
        break_after_hours=0.5,
        break_minutes=30,
        break_min_shift_hours=1.5,
    )
    plan = plan_reinforcement(req, rules)
    assert plan.cost == Decimal("200.00")
    assert plan.objective == pytest.approx(200.0)
    assert plan.lp_bound == pytest.approx(175.0)
    assert plan.gap == pytest.approx(0.125)


def test_a_shift_running_past_the_horizon_is_billed_in_full() -> None:
    req = requirement({"care": [("2026-03-02 23:30", "2026-03-03 00:00", 1)]})
    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30), lengths_hours=(4.0,)))
    assert plan.cost == Decimal("120.00")
    assert plan.intervals["uncovered"].sum() == 0


def test_intervals_follow_real_time_on_a_daylight_saving_day() -> None:
    new_york = "America/New_York"
    req = requirement({"care": [("2026-03-08 00:00", "2026-03-08 04:00", 1)]}, first=date(2026, 3, 8), tz=new_york)
    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30), lengths_hours=(4.0,)))
    assert len(plan.intervals) == 46
    shift = plan.shifts.iloc[0]
    assert shift["end"] - shift["start"] == pd.Timedelta(hours=4)
    assert shift["end"].hour == 5  # 4 real hours from midnight end at 05:00 once clocks jumped forward


def test_service_level_hook_sees_base_plus_planned_positions() -> None:
    req = requirement({"care": [("2026-03-02 10:00", "2026-03-02 14:00", 3)]})
    req["base"] = 1.0
    seen: list[int] = []

    def level(queue: str, start: pd.Timestamp, positions: int) -> float:
        seen.append(positions)
        return min(1.0, positions / 3)

    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30), max_per_interval=1), service_level=level)
    peak = plan.intervals[plan.intervals["gap"] > 0]
    assert peak["service_level"].tolist() == pytest.approx([2 / 3] * 8)
    assert len(seen) == 48


def test_oncall_covers_a_saturday_gap_cheaper_and_is_billed_the_weekend_minimum() -> None:
    saturday = date(2026, 3, 7)
    req = requirement({"care": [("2026-03-07 10:00", "2026-03-07 11:00", 1)]}, first=saturday)
    rules = ShiftRules(hourly_cost=Decimal(30), oncall=OnCallRules(hourly_rate=Decimal(20), lengths_hours=(1.0,)))
    plan = plan_reinforcement(req, rules)
    assert plan.shifts[["kind", "billed_hours", "count"]].values.tolist() == [["oncall", Decimal(4), 1]]
    assert plan.cost == Decimal("80.00")
    assert plan.intervals["oncall"].sum() == 2


def test_oncall_never_covers_business_hours() -> None:
    req = requirement({"care": [("2026-03-02 10:00", "2026-03-02 11:00", 1)]})
    rules = ShiftRules(hourly_cost=Decimal(30), oncall=OnCallRules(hourly_rate=Decimal(1)))
    plan = plan_reinforcement(req, rules)
    assert plan.shifts["kind"].tolist() == ["reinforcement"]
    assert plan.intervals["oncall"].sum() == 0


def test_oncall_on_a_weekday_night_bills_the_two_hour_minimum() -> None:
    req = requirement({"care": [("2026-03-02 21:00", "2026-03-02 22:00", 1)]})
    rules = ShiftRules(hourly_cost=Decimal(30), oncall=OnCallRules(hourly_rate=Decimal(20), lengths_hours=(1.0,)))
    plan = plan_reinforcement(req, rules)
    assert plan.shifts[["kind", "length_hours", "billed_hours"]].values.tolist() == [["oncall", 1.0, Decimal(2)]]
    assert plan.cost == Decimal("40.00")


def test_oncall_is_billed_the_contracts_own_minimums() -> None:
    req = requirement({"care": [("2026-03-02 21:00", "2026-03-02 22:00", 1)]})
    oncall = OnCallRules(
        hourly_rate=Decimal(20),
        lengths_hours=(1.0,),
        minimum_hours_mon_thu=Decimal(3),
        minimum_hours_fri_sun_holiday=Decimal(6),
    )
    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30), oncall=oncall))
    assert plan.shifts[["kind", "length_hours", "billed_hours"]].values.tolist() == [["oncall", 1.0, Decimal(3)]]
    assert plan.cost == Decimal("60.00")


def test_nothing_to_cover_gives_an_empty_plan() -> None:
    req = requirement({"care": []})
    plan = plan_reinforcement(req, ShiftRules())
    assert plan.shifts.empty
    assert plan.cost == Decimal(0)
    assert plan.status == "optimal"


def test_bad_input_is_rejected() -> None:
    req = requirement({"care": [("2026-03-02 10:00", "2026-03-02 11:00", 1)]})
    naive = req.assign(interval_start=req["interval_start"].dt.tz_localize(None))
    with pytest.raises(ValueError, match="time-zone aware"):
        plan_reinforcement(naive, ShiftRules())
    with pytest.raises(ValueError, match="blend"):
        plan_reinforcement(req, ShiftRules(), blends=[frozenset({"care", "social"})])
    with pytest.raises(ValueError, match="multiples"):
        ShiftRules(lengths_hours=(4.2,))
    with pytest.raises(ValueError, match="break"):
        ShiftRules(lengths_hours=(6.0,), break_after_hours=6.0, break_minutes=30)


@settings(max_examples=25, deadline=None)
@given(
    needs=st.lists(st.tuples(st.integers(0, 40), st.integers(1, 8), st.integers(1, 3)), min_size=1, max_size=4),
    cap=st.one_of(st.none(), st.integers(1, 4)),
)
def test_a_plan_covers_exactly_what_its_shifts_claim(needs: list[tuple[int, int, int]], cap: int | None) -> None:
    start = pd.Timestamp(MONDAY).tz_localize(TZ)
    windows = [
        (
            str((start + pd.Timedelta(minutes=30 * a)).tz_localize(None)),
            str((start + pd.Timedelta(minutes=30 * (a + n))).tz_localize(None)),
            k,
        )
        for a, n, k in needs
    ]
    req = requirement({"care": windows})
    plan = plan_reinforcement(req, ShiftRules(hourly_cost=Decimal(30), max_per_interval=cap))
    stamps = plan.intervals["interval_start"]
    claimed = np.zeros(len(stamps), dtype=int)
    for shift in plan.shifts.itertuples():
        claimed += np.where((stamps >= shift.start) & (stamps < shift.end), shift.count, 0)
    assert plan.intervals["planned"].tolist() == claimed.tolist()
    expected_uncovered = np.maximum(plan.intervals["gap"] - claimed, 0)
    assert plan.intervals["uncovered"].tolist() == expected_uncovered.tolist()
    if cap is None:
        assert expected_uncovered.sum() == 0
    else:
        assert claimed.max(initial=0) <= cap
    assert plan.lp_bound <= plan.objective + 1e-6
    assert plan.cost == sum(plan.shifts["cost"], Decimal(0))

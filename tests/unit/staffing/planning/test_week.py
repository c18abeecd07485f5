"""Sizing a week over loaded inputs: Erlang positions, workload for back office, the base on duty, predicted SL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from ops.calendars import Calendar
from ops.contracts.schemas import OnCallPrice, Prices, ShiftRulesIn
from ops.errors import InvalidInputError
from ops.staffing.planning.week import (
    PlanInputs,
    QueueInputs,
    Scenario,
    oncall_rules,
    requirement_queue,
    service_levels,
)

TZ = "America/Sao_Paulo"
VOICE = Calendar.from_dict(
    {
        "timezone": TZ,
        "hours": {d: [["08:00", "21:00"]] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [["09:00", "15:00"]]},
        "holidays": ["2026-03-10"],
    }
)
BACK_OFFICE = Calendar.from_dict(
    {
        "timezone": TZ,
        "hours": {d: [["08:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    }
)
RULES = ShiftRulesIn(shrinkage=0.3, max_occupancy=0.85)
EMPTY = pd.DataFrame({"offered": []})


def voice_queue(**changes: object) -> QueueInputs:
    values: dict[str, object] = {
        "code": "care",
        "name": "Customer care",
        "method": "erlang_c",
        "base_positions": 15,
        "calendar": VOICE,
        "tz": TZ,
        "history": EMPTY,
        "actual": EMPTY,
        "answer_within": 20,
        "target": 0.8,
    }
    return QueueInputs(**(values | changes))  # type: ignore[arg-type]


def week(start: str = "2026-03-09") -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start, tz=TZ), periods=7 * 48, freq="30min")


def at(index: pd.DatetimeIndex, stamp: str) -> int:
    return int(index.get_loc(pd.Timestamp(stamp, tz=TZ)))


def test_voice_positions_are_erlang_agents_grossed_up_for_shrinkage_exactly() -> None:
    index = week()
    offered = np.zeros(len(index))
    offered[at(index, "2026-03-09 10:00")] = 100  # the textbook interval: 14 agents, 20 positions
    offered[at(index, "2026-03-09 10:30")] = 164  # floating point would give 22 agents / 32 positions
    table = requirement_queue(voice_queue(), pd.DataFrame({"offered": offered, "aht": 180.0}, index=index), RULES)
    row = table.set_index("interval_start")
    assert (row.loc[index[at(index, "2026-03-09 10:00")], ["agents", "required"]] == [14, 20]).all()
    assert (row.loc[index[at(index, "2026-03-09 10:30")], ["agents", "required"]] == [21, 30]).all()
    assert table["required"].sum() == 50  # no calls, no one needed


def test_a_higher_target_in_the_what_if_needs_more_agents() -> None:
    index = week()
    fc = pd.DataFrame({"offered": np.full(len(index), 100.0), "aht": 180.0}, index=index)
    plain = requirement_queue(voice_queue(), fc, RULES)
    stricter = requirement_queue(voice_queue(), fc, RULES, Scenario(target=0.95))
    assert (stricter["agents"] > plain["agents"]).all()


def test_the_base_is_on_duty_in_the_weekly_hours_holidays_included_and_nowhere_else() -> None:
    index = week()
    table = requirement_queue(voice_queue(), pd.DataFrame({"offered": 0.0, "aht": 180.0}, index=index), RULES)
    base = table.set_index("interval_start")["base"]
    assert base[pd.Timestamp("2026-03-09 08:00", tz=TZ)] == 15
    assert base[pd.Timestamp("2026-03-09 20:30", tz=TZ)] == 15
    assert base[pd.Timestamp("2026-03-09 21:00", tz=TZ)] == 0
    assert base[pd.Timestamp("2026-03-10 10:00", tz=TZ)] == 15  # a calendar holiday: calls may still come
    assert base[pd.Timestamp("2026-03-14 15:00", tz=TZ)] == 0  # Saturday closes at 15:00
    assert base[pd.Timestamp("2026-03-15 10:00", tz=TZ)] == 0  # no Sunday hours


def test_back_office_work_waits_for_the_next_opening_and_spreads_over_the_sla_window() -> None:
    index = week()
    tickets = np.zeros(len(index))
    tickets[at(index, "2026-03-09 03:00")] = 90  # arrived overnight, while closed
    queue = voice_queue(
        code="bo_care",
        method="workload",
        base_positions=6,
        calendar=BACK_OFFICE,
        handle_seconds=840.0,
        sla_minutes=240.0,
    )
    table = requirement_queue(queue, pd.DataFrame({"offered": tickets, "aht": 840.0}, index=index), RULES)
    required = table.set_index("interval_start")["required"]
    assert required[: pd.Timestamp("2026-03-09 07:30", tz=TZ)].sum() == 0
    # 90 tickets x 14 min = 1,260 min over the 8 periods of a 240-minute window, 21 productive minutes a
    # position per period (30 % shrinkage): 7.5 -> 8 positions from 08:00 to 12:00.
    morning = required[pd.Timestamp("2026-03-09 08:00", tz=TZ) : pd.Timestamp("2026-03-09 11:30", tz=TZ)]
    assert morning.tolist() == [8.0] * 8
    assert required[pd.Timestamp("2026-03-09 12:00", tz=TZ)] == 0  # lunch: closed, and the work is done


def test_predicted_service_level_counts_only_the_agents_left_after_shrinkage() -> None:
    rows = pd.DataFrame({"offered": [100.0, 100.0, 0.0], "aht": [180.0, 180.0, 180.0]})
    sl = service_levels(voice_queue(), rows, np.array([20, 2, 0]), RULES)
    assert sl[0] == pytest.approx(0.8884, abs=5e-5)  # 20 positions -> 14 agents: the textbook 88.84 %
    assert sl[1] == 0.0  # one agent for 10 Erlangs
    assert sl[2] == 1.0  # no calls, none late
    back_office = service_levels(voice_queue(method="workload"), rows, np.array([20, 2, 0]), RULES)
    assert np.isnan(back_office).all()


def test_on_call_hours_come_from_the_voice_calendar_and_its_holidays() -> None:
    prices = Prices(
        position_month=Decimal(1),
        reinforcement_hour=Decimal(62),
        ticket_minute=Decimal(4),
        oncall=OnCallPrice(Decimal(240)),
    )
    inputs = PlanInputs(1, "reference", "BRL", date(2026, 3, 9), TZ, [voice_queue()], [], RULES, prices)
    rules = oncall_rules(inputs, inputs.queues)
    assert rules is not None
    assert (rules.opens.hour, rules.closes.hour) == (8, 21)
    assert rules.business_weekdays == frozenset(range(6))
    assert date(2026, 3, 10) in rules.holidays
    assert rules.hourly_rate == Decimal(240)
    assert (rules.minimum_hours_mon_thu, rules.minimum_hours_fri_sun_holiday) == (Decimal(2), Decimal(4))
    no_price = PlanInputs(1, "reference", "BRL", date(2026, 3, 9), TZ, [voice_queue()], [], RULES, None)
    assert oncall_rules(no_price, no_price.queues) is None


def test_on_call_minimum_hours_come_from_the_contract_price() -> None:
    oncall = OnCallPrice(Decimal(240), minimum_hours_mon_thu=Decimal(3), minimum_hours_fri_sun_holiday=Decimal(6))
    prices = Prices(position_month=Decimal(1), reinforcement_hour=Decimal(62), ticket_minute=Decimal(4), oncall=oncall)
    inputs = PlanInputs(1, "reference", "BRL", date(2026, 3, 9), TZ, [voice_queue()], [], RULES, prices)
    rules = oncall_rules(inputs, inputs.queues)
    assert rules is not None
    assert (rules.minimum_hours_mon_thu, rules.minimum_hours_fri_sun_holiday) == (Decimal(3), Decimal(6))


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"volume_pct": -100.0}, "volume_pct"), ({"aht_pct": float("nan")}, "aht_pct"), ({"target": 1.0}, "target")],
)
def test_a_what_if_outside_its_range_is_refused_naming_the_field(changes: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        Scenario(**changes)  # type: ignore[arg-type]
    assert error.value.extra == [{"field": field, "problem": error.value.extra[0]["problem"]}]

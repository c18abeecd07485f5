import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from ops.reports.metrics import (
    ALL_QUEUES,
    RATIO_COLUMNS,
    KpiCounts,
    ServiceLevelFormula,
    age_labels,
    backlog_ageing,
    kpi_results,
    rollup,
    ticket_rollup,
    with_ratios,
)
from ops.staffing.history.calllog import count_call_log
from ops.staffing.history.intervals import INTERVAL_COLUMNS, empty_intervals
from tests.conftest import FIXTURES

SLICE = FIXTURES / "anonymous_bank_1999_02_12-14_calls.csv"
SP = "America/Sao_Paulo"
F = ServiceLevelFormula


def intervals(rows: list[dict[str, object]]) -> pd.DataFrame:
    """An interval table from partial rows (queue, start in UTC, counts); missing counts are 0."""
    frame = pd.DataFrame(rows)
    frame["interval_start"] = pd.to_datetime(frame["interval_start"], utc=True)
    for column in INTERVAL_COLUMNS[2:]:
        if column not in frame:
            frame[column] = 0
    return frame


COUNTS = KpiCounts(
    offered=100,
    answered=80,
    answered_within=60,
    abandoned=20,
    abandoned_within=8,
    short_abandons=5,
    handle_seconds=16_000.0,
    wait_seconds=2_400.0,
)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        (F.OFFERED, 60 / 100),
        (F.OFFERED_MINUS_SHORT, 60 / 95),
        (F.OFFERED_MINUS_ABANDONED_WITHIN, 60 / 92),
        (F.ANSWERED_AND_ABANDONED_WITHIN, 68 / 100),
        (F.ANSWERED, 60 / 80),
    ],
)
def test_each_service_level_formula_gives_its_own_number(formula: ServiceLevelFormula, expected: float) -> None:
    assert COUNTS.service_level(formula) == pytest.approx(expected)
    frame = with_ratios(pd.DataFrame([COUNTS.__dict__]), formula)
    assert frame["service_level"].iloc[0] == pytest.approx(expected)


def test_a_report_can_state_the_formula_and_threshold_it_used() -> None:
    assert F("offered_minus_short") is F.OFFERED_MINUS_SHORT
    assert F.OFFERED_MINUS_SHORT.describe(20) == (
        "Calls answered within 20 s out of calls offered, short abandons excluded "
        "[offered_minus_short: answered_within / (offered - short_abandons)]"
    )
    assert F.ANSWERED_AND_ABANDONED_WITHIN.expression == "(answered_within + abandoned_within) / offered"
    assert len({f.describe(30) for f in F}) == len(F)


def test_voice_kpis_of_counts() -> None:
    kpis = COUNTS.kpis()

    assert kpis["asa"] == 30.0
    assert kpis["aht"] == 200.0
    assert kpis["abandon_rate"] == 0.2
    assert kpis["abandon_rate_excl_short"] == pytest.approx(15 / 95)
    assert kpis["occupancy"] is None  # staffed time unknown
    assert KpiCounts(handle_seconds=1_800.0, staffed_seconds=3_600.0).occupancy == 0.5


def test_nothing_offered_gives_no_value_rather_than_an_error() -> None:
    assert set(KpiCounts().kpis().values()) == {None}
    frame = with_ratios(pd.DataFrame([KpiCounts().__dict__]).drop(columns="staffed_seconds"))
    assert frame[list(RATIO_COLUMNS)].isna().all(axis=None)


def test_roll_up_divides_sums_and_never_averages_percentages() -> None:
    table = intervals(
        [
            {"queue": "care", "interval_start": "2026-03-02 11:00", "offered": 1, "answered": 1, "answered_within": 1},
            {"queue": "care", "interval_start": "2026-03-02 11:30", "offered": 99, "answered": 99},
        ]
    )

    day = rollup(table, grain="day", timezone=SP)

    assert day["service_level"].tolist() == [0.01]  # not (100 % + 0 %) / 2
    assert day["offered"].tolist() == [100]


def test_days_weeks_and_months_follow_the_local_clock() -> None:
    table = intervals(
        [
            # 02:30 UTC on 1 March is still 28 February in Sao Paulo (UTC-3).
            {"queue": "care", "interval_start": "2026-03-01 02:30", "offered": 1},
            {"queue": "care", "interval_start": "2026-03-01 03:00", "offered": 2},
            {"queue": "care", "interval_start": "2026-03-09 12:00", "offered": 4},
            {"queue": "helpdesk", "interval_start": "2026-03-09 12:00", "offered": 8},
        ]
    )

    days = rollup(table, grain="day", timezone=SP)
    assert days[["queue", "period", "offered"]].values.tolist() == [
        ["care", "2026-02-28", 1],
        ["care", "2026-03-01", 2],
        ["care", "2026-03-09", 4],
        ["helpdesk", "2026-03-09", 8],
    ]
    weeks = rollup(table, grain="week", timezone=SP, by_queue=False)
    assert weeks[["period", "offered"]].values.tolist() == [["2026-W09", 3], ["2026-W11", 12]]
    assert str(weeks["period_start"].iloc[0]) == "2026-02-23 00:00:00-03:00"  # the Monday
    months = rollup(table, grain="month", timezone=SP, by_queue=False)
    assert months[["period", "offered"]].values.tolist() == [["2026-02", 1], ["2026-03", 14]]
    assert str(months["period_end"].iloc[0]) == "2026-03-01 00:00:00-03:00"
    whole = rollup(table, grain="period", timezone=SP)
    assert whole[["queue", "period", "offered"]].values.tolist() == [
        ["care", "2026-02-28/2026-03-09", 7],
        ["helpdesk", "2026-02-28/2026-03-09", 8],
    ]


def test_a_day_when_clocks_go_back_lasts_25_hours() -> None:
    table = intervals([{"queue": "care", "interval_start": "1999-02-21 01:30", "offered": 1}])

    day = rollup(table, grain="day", timezone=SP)

    assert day["period"].tolist() == ["1999-02-20"]
    assert (day["period_end"] - day["period_start"]).tolist() == [pd.Timedelta(hours=25)]


def test_interval_grain_labels_each_half_hour_with_its_offset() -> None:
    table = intervals(
        [
            {"queue": "care", "interval_start": "1999-02-21 01:00", "offered": 1},  # 23:00 summer time
            {"queue": "care", "interval_start": "1999-02-21 02:00", "offered": 1},  # 23:00 again
        ]
    )

    rows = rollup(table, grain="interval", timezone=SP)

    assert rows["period"].tolist() == ["1999-02-20T23:00-02:00", "1999-02-20T23:00-03:00"]


def test_occupancy_needs_staffed_time_and_sums_it() -> None:
    table = intervals(
        [
            {"queue": "care", "interval_start": "2026-03-02 11:00", "handle_seconds": 900.0, "staffed_seconds": 1800.0},
            {
                "queue": "care",
                "interval_start": "2026-03-02 11:30",
                "handle_seconds": 2700.0,
                "staffed_seconds": 3600.0,
            },
        ]
    )

    day = rollup(table, grain="day", timezone=SP)

    assert day["occupancy"].tolist() == [pytest.approx(3600 / 5400)]
    assert KpiCounts.of(table).occupancy == pytest.approx(3600 / 5400)


def test_real_month_slice_rolls_up_to_the_printed_figures() -> None:
    table = count_call_log(SLICE, fmt="anonymous-bank", queue="care", timezone="Asia/Jerusalem").intervals

    month = rollup(table, grain="month", timezone="Asia/Jerusalem").iloc[0]

    assert (month["offered"], month["answered"], month["abandoned"]) == (2191, 1966, 225)
    assert round(month["service_level"] * 100, 1) == 67.1
    assert round(month["asa"], 1) == 23.1
    assert round(month["aht"], 1) == 154.4
    assert round(month["abandon_rate"] * 100, 1) == 10.3
    days = rollup(table, grain="day", timezone="Asia/Jerusalem")
    assert days["offered"].sum() == 2191
    assert days["service_level"].round(3).tolist() == [0.514, 0.653, 0.723]


def test_empty_table_rolls_up_to_no_rows() -> None:
    empty = empty_intervals()

    assert rollup(empty, grain="day", timezone=SP).empty
    assert KpiCounts.of(empty).service_level() is None


# --- tickets -------------------------------------------------------------------------------

UTC_NOON = "2026-03-02T12:00:00Z"


def tickets(rows: list[dict[str, object]]) -> pd.DataFrame:
    defaults: dict[str, object] = {
        "queue": "bo_care",
        "created_at": UTC_NOON,
        "first_response_at": None,
        "resolved_at": None,
        "first_response_minutes": math.nan,
        "resolution_minutes": math.nan,
        "first_response_target": 60.0,
        "resolution_target": 480.0,
        "status": "open",
    }
    frame = pd.DataFrame([defaults | row for row in rows])
    for column in ("created_at", "first_response_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def test_ticket_shares_count_breaches_of_open_tickets_and_skip_clocks_still_running() -> None:
    frame = tickets(
        [
            # answered in 30 of 60 minutes, resolved in 500 of 480: response met, resolution missed
            {"first_response_at": UTC_NOON, "first_response_minutes": 30, "resolved_at": UTC_NOON,
             "resolution_minutes": 500, "status": "resolved"},
            # answered late (90 of 60), still open at 200 of 480 minutes: resolution not yet due
            {"first_response_at": UTC_NOON, "first_response_minutes": 90, "resolution_minutes": 200},
            # no answer yet after 75 minutes: already a first-response breach
            {"first_response_minutes": 75, "resolution_minutes": 75},
            # no answer yet after 10 minutes: nothing due
            {"first_response_minutes": 10, "resolution_minutes": 10, "status": "pending"},
            # cancelled and a queue without a policy count in no share
            {"first_response_minutes": 500, "resolution_minutes": 500, "status": "cancelled"},
            {"queue": "social", "first_response_minutes": 500, "first_response_target": math.nan},
        ]
    )  # fmt: skip

    result = ticket_rollup(frame, timezone=SP).set_index("queue")

    care = result.loc["bo_care"]
    assert (care["tickets"], care["first_response_due"], care["first_response_met"]) == (5, 3, 1)
    assert care["first_response_within"] == pytest.approx(1 / 3)
    assert (care["resolution_due"], care["resolution_met"]) == (1, 0)
    assert care["resolution_within"] == 0.0
    assert math.isnan(result.loc["social", "first_response_within"])


def test_tickets_roll_up_by_local_creation_day() -> None:
    frame = tickets(
        [
            {"created_at": "2026-03-02T02:00:00Z", "first_response_at": UTC_NOON, "first_response_minutes": 5},
            {"created_at": "2026-03-02T04:00:00Z", "first_response_at": UTC_NOON, "first_response_minutes": 5},
        ]
    )

    days = ticket_rollup(frame, grain="day", timezone=SP, by_queue=False)

    assert days["period"].tolist() == ["2026-03-01", "2026-03-02"]  # 02:00 UTC is 23:00 the day before
    assert days["first_response_within"].tolist() == [1.0, 1.0]


def test_backlog_ages_by_calendar_days_at_the_cut_off() -> None:
    cutoff = datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("UTC"))
    frame = tickets(
        [
            {"created_at": "2026-03-10T06:00:00Z"},  # 6 hours
            {"created_at": "2026-03-09T12:00:00Z"},  # exactly 1 day: the 1-3 bucket
            {"created_at": "2026-03-05T12:00:00Z", "status": "pending"},  # 5 days
            {"created_at": "2026-03-01T12:00:00Z"},  # 9 days
            {"created_at": "2026-03-01T12:00:00Z", "queue": "bo_helpdesk"},
            {"created_at": "2026-03-01T12:00:00Z", "resolved_at": "2026-03-09T12:00:00Z"},  # left before
            {"created_at": "2026-03-01T12:00:00Z", "resolved_at": "2026-03-11T12:00:00Z"},  # left after
            {"created_at": "2026-03-11T12:00:00Z"},  # not yet created
        ]
    )

    ageing = backlog_ageing(frame, cutoff=cutoff).set_index("queue")

    assert list(ageing.columns) == ["backlog", "<1d", "1-3d", "3-7d", ">=7d"]
    assert ageing.loc["bo_care"].tolist() == [5, 1, 1, 1, 2]
    assert ageing.loc["bo_helpdesk"].tolist() == [1, 0, 0, 0, 1]
    total = backlog_ageing(frame, cutoff=cutoff, by_queue=False)
    assert total.to_dict("records") == [{"backlog": 6, "<1d": 1, "1-3d": 1, "3-7d": 1, ">=7d": 3}]


def test_backlog_buckets_can_be_chosen_and_an_empty_backlog_is_zeros() -> None:
    assert age_labels((2, 5)) == ["<2d", "2-5d", ">=5d"]
    cutoff = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
    empty = backlog_ageing(tickets([{}]), cutoff=cutoff, by_queue=False)
    assert empty.to_dict("records") == [{"backlog": 0, "<1d": 0, "1-3d": 0, "3-7d": 0, ">=7d": 0}]
    with pytest.raises(ValueError, match="timezone-aware"):
        backlog_ageing(tickets([{}]), cutoff=datetime(2026, 1, 1))


def test_kpi_results_give_each_queue_and_all_queues_to_penalty_rules() -> None:
    table = intervals(
        [
            {"queue": "care", "interval_start": "2026-03-02 11:00", "offered": 10, "answered": 8, "answered_within": 6},
            {"queue": "helpdesk", "interval_start": "2026-03-02 11:00", "offered": 10, "answered": 10,
             "answered_within": 10},
        ]
    )  # fmt: skip
    shares = ticket_rollup(
        tickets([{"first_response_at": UTC_NOON, "first_response_minutes": 5}, {"first_response_minutes": 99}]),
        timezone=SP,
    )

    results = kpi_results(table, tickets=shares)

    assert results["care"]["service_level"] == 0.6
    assert results["helpdesk"]["service_level"] == 1.0
    assert results[ALL_QUEUES]["service_level"] == 0.8  # 16 of 20, not the mean of 60 % and 100 %
    assert results["bo_care"]["first_response_within"] == 0.5
    assert results[ALL_QUEUES]["first_response_within"] == 0.5
    assert results["bo_care"]["resolution_within"] is None  # nothing due yet

"""Recovery of undue charges: doubled, corrected by the real IPCA, interest, the legal windows and deflation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ops.billing.indices.readjustment import MissingIndexMonth
from ops.billing.indices.recovery import OverpaidLine, RecoveryTerms, project, whole_months
from ops.billing.indices.series import series_by_index
from tests.conftest import FIXTURES
from tests.unit.billing.indices.reading import read_series_file

FIXTURE = FIXTURES / "br_ipca_igpm_monthly_2015-2026.csv"
SERIES = series_by_index(read_series_file(FIXTURE))
D = Decimal
TERMS = RecoveryTerms(index="IPCA", interest_monthly_pct=D("1"))
TODAY = date(2022, 10, 20)  # IPCA of September 2022 is the last one published before October

LINES = [
    OverpaidLine("Reinforcement hours billed twice, March", date(2022, 4, 10), D("100.00")),
    OverpaidLine("On-call minimum over-applied, June", date(2022, 7, 5), D("250.00"), doubled=False),
    OverpaidLine("Ticket minutes above the minimum, 2019", date(2019, 6, 30), D("80.00")),
]


def test_projection_inside_and_outside_the_administrative_window() -> None:
    result = project(LINES, TERMS, TODAY, SERIES, route="administrative")
    assert result.window_start == date(2019, 10, 20)  # three years back from 2022-10-20, inclusive
    first, deflated, old = result.rows

    # Doubled: 2 x 100.00 = 200.00. IPCA April..September 2022: 1.06 0.47 0.67 -0.68 -0.36 -0.29;
    # 1.0106 x 1.0047 = 1.01534982; x 1.0067 = 1.022152663794; x 0.9932 = 1.01520202568...;
    # x 0.9964 = 1.01154729838...; x 0.9971 = 1.00861381122... -> 1.00861381 (rounded once, at the end).
    assert (first.doubled, first.doubled_amount) == (True, D("200.00"))
    assert first.correction_factor == D("1.00861381")
    assert (first.months[0], first.last_month_used) == (date(2022, 4, 1), date(2022, 9, 1))
    assert not first.floored
    # 200.00 x 1.00861381 = 201.722762 -> 201.72; 10 April to 20 October is 6 whole months at 1 %:
    # 201.72 x 0.06 = 12.1032 -> 12.10; 201.72 + 12.10 = 213.82.
    assert (first.corrected, first.interest_months, first.interest) == (D("201.72"), 6, D("12.10"))
    assert first.recoverable == D("213.82")
    assert first.within_window

    # IPCA July..September 2022: 0.9932 x 0.9964 x 0.9971 = 0.98675457 < 1: never below the nominal.
    assert deflated.floored
    assert deflated.correction_factor == D(1)
    assert "0.98675457 floored at 1" in deflated.note
    # Refunded once (doubled=False): 250.00; 5 July to 20 October is 3 whole months: 250.00 x 0.03 = 7.50.
    assert (deflated.doubled_amount, deflated.corrected, deflated.interest) == (D("250.00"), D("250.00"), D("7.50"))
    assert deflated.recoverable == D("257.50")

    # Paid 2019-06-30, before 2019-10-20: listed, doubled shown, nothing recoverable, and said why.
    assert not old.within_window
    assert (old.doubled_amount, old.recoverable, old.interest) == (D("160.00"), D("0.00"), D("0.00"))
    assert "outside the 3-year administrative window" in old.note

    # Inside: nominal 100 + 250 = 350.00; doubled 200 + 250 = 450.00; corrected 201.72 + 250.00 = 451.72;
    # interest 12.10 + 7.50 = 19.60; recoverable 213.82 + 257.50 = 471.32.
    inside = result.inside
    assert (inside.lines, inside.nominal, inside.doubled_amount) == (2, D("350.00"), D("450.00"))
    assert (inside.corrected, inside.interest, inside.recoverable) == (D("451.72"), D("19.60"), D("471.32"))
    outside = result.outside
    assert (outside.lines, outside.nominal, outside.doubled_amount, outside.recoverable) == (
        1,
        D("80.00"),
        D("160.00"),
        D("0.00"),
    )


def test_the_judicial_route_reaches_five_years_back() -> None:
    result = project(LINES, TERMS, TODAY, SERIES, route="judicial")
    assert result.window_start == date(2017, 10, 20)
    old = result.rows[2]
    assert old.within_window
    # June 2019 .. September 2022 is 40 months of IPCA; 30 June to 20 October 2022 is 39 whole months.
    assert len(old.months) == 40
    assert old.interest_months == 39
    assert old.correction_factor > 1
    assert old.recoverable > D("160.00")
    assert result.outside.lines == 0


def test_windows_are_configurable() -> None:
    terms = RecoveryTerms(index="IPCA", interest_monthly_pct=D(0), window_years_judicial=10)
    assert project(LINES, terms, TODAY, SERIES, route="judicial").window_start == date(2012, 10, 20)


def test_the_window_boundary_is_inclusive() -> None:
    series = {"IPCA": dict.fromkeys([date(2019, 10, 1), date(2019, 11, 1)], D(0))}
    terms = RecoveryTerms(index="IPCA", interest_monthly_pct=D(0))
    lines = [
        OverpaidLine("on the day", date(2019, 10, 20), D("10.00")),
        OverpaidLine("a day before", date(2019, 10, 19), D("10.00")),
    ]
    rows = project(lines, terms, date(2022, 10, 20), series, route="administrative").rows
    assert [row.within_window for row in rows] == [True, False]


def test_months_not_yet_published_are_simply_not_used() -> None:
    # Published up to August: on 20 October, September is not out yet; the row says August was the last.
    series = {"IPCA": {date(2022, 7, 1): D("1"), date(2022, 8, 1): D("2")}}
    terms = RecoveryTerms(index="IPCA", interest_monthly_pct=D(0), double_by_default=False)
    row = project([OverpaidLine("x", date(2022, 7, 15), D("100.00"))], terms, TODAY, series, route="judicial").rows[0]
    # 1.01 x 1.02 = 1.0302; 100.00 x 1.0302 = 103.02
    assert (row.correction_factor, row.last_month_used, row.recoverable) == (D("1.0302"), date(2022, 8, 1), D("103.02"))
    assert "IPCA 2022-07..2022-08" in row.note


def test_months_published_after_today_are_not_used_either() -> None:
    # The real series runs to 2026; on 2022-10-20 only months up to September 2022 count.
    row = project(LINES[:1], TERMS, TODAY, SERIES, route="administrative").rows[0]
    assert row.last_month_used == date(2022, 9, 1)


def test_a_gap_inside_the_span_names_every_missing_month() -> None:
    ipca = {month: pct for month, pct in SERIES["IPCA"].items() if month not in (date(2022, 5, 1), date(2022, 6, 1))}
    with pytest.raises(MissingIndexMonth, match=r"^IPCA: no published value for 2022-05, 2022-06$"):
        project(LINES, TERMS, TODAY, {"IPCA": ipca}, route="administrative")


def test_a_payment_before_the_series_starts_is_a_gap_not_a_factor_of_one() -> None:
    lines = [OverpaidLine("old", date(2014, 12, 5), D("10.00"))]
    with pytest.raises(MissingIndexMonth, match="2014-12"):
        project(lines, TERMS, date(2016, 1, 10), SERIES, route="administrative")


def test_paid_this_month_has_no_correction_yet() -> None:
    row = project(
        [OverpaidLine("x", date(2022, 10, 3), D("50.00"))], TERMS, TODAY, SERIES, route="administrative"
    ).rows[0]
    # 2 x 50.00 = 100.00, no IPCA month since October, 3 to 20 October is not a whole month.
    assert (row.correction_factor, row.months, row.interest_months, row.recoverable) == (D(1), (), 0, D("100.00"))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2022, 4, 10), date(2022, 10, 20), 6),
        (date(2022, 4, 10), date(2022, 10, 9), 5),
        (date(2022, 4, 10), date(2022, 10, 10), 6),
        (date(2022, 1, 31), date(2022, 2, 28), 1),  # February has no 31st: its last day completes the month
        (date(2022, 1, 31), date(2022, 2, 27), 0),
        (date(2022, 10, 3), date(2022, 10, 20), 0),
        (date(2019, 6, 30), date(2022, 10, 20), 39),
    ],
)
def test_whole_months(start: date, end: date, expected: int) -> None:
    assert whole_months(start, end) == expected


def test_refusals() -> None:
    with pytest.raises(ValueError, match="above zero"):
        OverpaidLine("x", date(2022, 1, 1), D("0"))
    with pytest.raises(ValueError, match="interest_monthly_pct"):
        RecoveryTerms(index="IPCA", interest_monthly_pct=D("-1"))
    with pytest.raises(ValueError, match="window_years_administrative"):
        RecoveryTerms(index="IPCA", interest_monthly_pct=D(1), window_years_administrative=0)
    with pytest.raises(ValueError, match="after today"):
        project([OverpaidLine("x", date(2022, 11, 1), D("1"))], TERMS, TODAY, SERIES, route="administrative")
    with pytest.raises(ValueError, match="no series"):
        project(LINES, TERMS, TODAY, {}, route="administrative")

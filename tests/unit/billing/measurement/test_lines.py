"""Measurement lines: positions pro rata, time-billed tickets, on-call and reinforcement shifts, SLA credits.

Expected numbers are worked out by hand in the comments, not copied from the code's output.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ops.billing.measurement.lines import (
    ExecutedShift,
    Line,
    Measurement,
    OnCallShift,
    TicketTime,
    line,
    oncall_hours,
    oncall_lines,
    position_lines,
    reinforcement_lines,
    sla_lines,
    ticket_time_lines,
)
from ops.billing.measurement.periods import measurement_period

D = Decimal
SP = ZoneInfo("America/Sao_Paulo")
MONDAY, TUESDAY, THURSDAY = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 5)
FRIDAY, SATURDAY, SUNDAY = date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 8)
HOURLY = D("240.00")
CHECKSUM = "ab" * 32


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SP)


# --- Line --------------------------------------------------------------------------------------


def test_the_amount_is_rounded_half_up_at_the_line() -> None:
    # 1 × 0.1250 = 0.125: half up gives 0.13 (banker's rounding would give 0.12)
    assert line("adjustment", "x", D(1), "unit", D("0.1250"), ["manual:1"]).amount == D("0.13")
    # 5 × 0.0050 = 0.025 -> 0.03 (banker's rounding: 0.02)
    assert line("adjustment", "x", D(5), "unit", D("0.0050"), ["manual:1"]).amount == D("0.03")
    # a credit rounds away from zero: -0.125 -> -0.13
    assert line("adjustment", "x", D(-1), "unit", D("0.1250"), ["manual:1"]).amount == D("-0.13")
    # a prorated quantity: 7.741935 × 9800 = 75870.963 -> 75870.96
    assert line("positions", "x", D("7.741935"), "position-month", D(9800), ["c"]).amount == D("75870.96")


@pytest.mark.parametrize("kind", ["positions", "reinforcement", "oncall", "ticket_time", "sla_bonus"])
def test_a_negative_quantity_is_refused_outside_credits_and_adjustments(kind: str) -> None:
    with pytest.raises(ValueError, match=r"^quantity: .* cannot be negative"):
        line(kind, "x", D(-1), "unit", D("4.00"), ["s"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^quantity: .* cannot be negative"):
        line(kind, "x", D(1), "unit", D("-4.00"), ["s"])  # type: ignore[arg-type]


def test_credits_are_negative_amounts() -> None:
    credit = line("sla_credit", "credit", D(1), "credit", D("-150.00"), ["report:1"])
    assert credit.amount == D("-150.00")
    assert line("adjustment", "refund", D(-2), "minute", D("4.00"), ["ticket:9"]).amount == D("-8.00")
    with pytest.raises(ValueError, match=r"^amount: an sla_credit line is a credit"):
        line("sla_credit", "credit", D(1), "credit", D("150.00"), ["report:1"])


def test_a_line_checks_its_own_arithmetic_and_inputs() -> None:
    with pytest.raises(ValueError, match=r"^amount: must be cents\(quantity × unit_price\) = 40.00"):
        Line("ticket_time", "x", D(10), "minute", D("4.00"), D("40.01"), ("ticket:1",))
    with pytest.raises(ValueError, match=r"^quantity: must be a finite Decimal"):
        Line("ticket_time", "x", 10.0, "minute", D("4.00"), D("40.00"), ("ticket:1",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^unit_price: keeps at most 4 decimals"):
        line("ticket_time", "x", D(10), "minute", D("4.00001"), ["ticket:1"])
    with pytest.raises(ValueError, match=r"^sources: "):
        line("ticket_time", "x", D(10), "minute", D("4.00"), [])
    with pytest.raises(ValueError, match=r"^kind: "):
        line("penalty", "x", D(10), "minute", D("4.00"), ["s"])  # type: ignore[arg-type]


def test_a_measurement_totals_its_lines() -> None:
    lines = (
        line("positions", "p", D(15), "position-month", D("9800.00"), ["contract:reference"]),  # 147000.00
        line("ticket_time", "t", D(10), "minute", D("4.00"), ["ticket:1"]),  # 40.00
        line("sla_credit", "c", D(1), "credit", D("-1500.00"), ["report:1"]),  # -1500.00
    )
    measurement = Measurement(lines)
    assert measurement.total == D("145540.00")
    assert measurement.subtotals() == {
        "positions": D("147000.00"),
        "ticket_time": D("40.00"),
        "sla_credit": D("-1500.00"),
    }
    assert measurement.of("ticket_time") == (lines[1],)
    assert Measurement(()).total == D("0.00")


# --- positions ---------------------------------------------------------------------------------

# Cut-off on the 20th: 2027-01-21..2027-02-20 (31 days), the anniversary on 1 Feb readjusts the
# position-month from 9800.00 to 10241.00 (+4.5 %), and 5 positions are added from 11 Feb.
ANNIVERSARY_PERIOD = measurement_period("2027-02", 20)
PRICES = [(date(2026, 2, 1), D("9800.00")), (date(2027, 2, 1), D("10241.00"))]
POSITIONS = [(date(2026, 2, 1), 15), (date(2027, 2, 11), 20)]


def test_positions_pro_rata_by_actual_days_with_a_change_and_an_anniversary() -> None:
    lines = position_lines(ANNIVERSARY_PERIOD, POSITIONS, PRICES, proration="actual_days", contract_code="reference")
    assert [(x.description, x.quantity, x.unit_price, x.amount, x.sources) for x in lines] == [
        # 21..31 Jan, 11 days: 15 × 11/31 = 5.3225806.. -> 5.322581; × 9800 = 52161.2938 -> 52161.29
        (
            "15 positions, 2027-01-21..2027-01-31 (11/31 days)",
            D("5.322581"),
            D("9800.00"),
            D("52161.29"),
            ("contract:reference", "price:2026-02-01"),
        ),
        # 1..10 Feb, 10 days at the new price: 15 × 10/31 = 4.8387096.. -> 4.838710;
        # × 10241 = 48387.10 + 4.83871 × 241 (1166.12911) = 49553.22911 -> 49553.23
        (
            "15 positions, 2027-02-01..2027-02-10 (10/31 days)",
            D("4.838710"),
            D("10241.00"),
            D("49553.23"),
            ("contract:reference", "price:2027-02-01"),
        ),
        # 11..20 Feb, 10 days: 20 × 10/31 = 6.4516129.. -> 6.451613;
        # × 10241 = 64516.13 + 6.451613 × 241 (1554.838733) = 66070.968733 -> 66070.97
        (
            "20 positions, 2027-02-11..2027-02-20 (10/31 days)",
            D("6.451613"),
            D("10241.00"),
            D("66070.97"),
            ("contract:reference", "price:2027-02-01"),
        ),
    ]
    # 52161.29 + 49553.23 + 66070.97
    assert Measurement(tuple(lines)).total == D("167785.49")


def test_positions_pro_rata_by_commercial_months_with_a_change_and_an_anniversary() -> None:
    lines = position_lines(ANNIVERSARY_PERIOD, POSITIONS, PRICES, proration="commercial_30", contract_code="reference")
    assert [(x.description, x.quantity, x.amount) for x in lines] == [
        # 21..30 Jan counts 10 days, the 31st nothing: 15 × 10/30 = 5; × 9800 = 49000.00
        ("15 positions, 2027-01-21..2027-01-31 (10/30 commercial days)", D("5.000000"), D("49000.00")),
        # 1..10 Feb: 15 × 10/30 = 5; × 10241 = 51205.00
        ("15 positions, 2027-02-01..2027-02-10 (10/30 commercial days)", D("5.000000"), D("51205.00")),
        # 11..20 Feb: 20 × 10/30 = 6.666667; × 10241 = 66666.67 + 6.666667 × 241 (1606.666747)
        # = 68273.336747 -> 68273.34
        ("20 positions, 2027-02-11..2027-02-20 (10/30 commercial days)", D("6.666667"), D("68273.34")),
    ]
    # 49000.00 + 51205.00 + 68273.34
    assert Measurement(tuple(lines)).total == D("168478.34")


def test_positions_given_as_a_function_of_the_day_give_the_same_lines() -> None:
    def count(day: date) -> int:
        return 20 if day >= date(2027, 2, 11) else 15

    for proration in ("actual_days", "commercial_30"):
        by_list = position_lines(ANNIVERSARY_PERIOD, POSITIONS, PRICES, proration=proration, contract_code="reference")
        by_function = position_lines(ANNIVERSARY_PERIOD, count, PRICES, proration=proration, contract_code="reference")
        assert by_function == by_list


@pytest.mark.parametrize(
    ("month", "proration", "quantity", "amount"),
    [
        ("2026-01", "actual_days", D(15), D("147000.00")),
        ("2026-01", "commercial_30", D(15), D("147000.00")),
        ("2026-02", "actual_days", D(15), D("147000.00")),
        ("2026-02", "commercial_30", D(15), D("147000.00")),
    ],
)
def test_a_full_period_is_one_position_month_whatever_its_length(
    month: str, proration: str, quantity: Decimal, amount: Decimal
) -> None:
    lines = position_lines(
        measurement_period(month, None),
        [(date(2026, 1, 1), 15)],
        [(date(2026, 1, 1), D("9800.00"))],
        proration=proration,  # type: ignore[arg-type]
        contract_code="reference",
    )
    assert [(x.quantity, x.amount) for x in lines] == [(quantity, amount)]


def test_a_contract_starting_inside_the_period_bills_from_its_start() -> None:
    february = measurement_period("2026-02", None)  # 28 days
    args = ([(date(2026, 2, 10), 15)], [(date(2026, 2, 1), D("9800.00"))])
    actual = position_lines(
        february, *args, proration="actual_days", contract_code="c", contract_start=date(2026, 2, 10)
    )
    # 10..28 Feb = 19 days: 15 × 19/28 = 10.1785714.. -> 10.178571; × 9800 = 99749.9958 -> 99750.00
    assert [(x.description, x.quantity, x.amount) for x in actual] == [
        ("15 positions, 2026-02-10..2026-02-28 (19/28 days)", D("10.178571"), D("99750.00"))
    ]
    commercial = position_lines(
        february, *args, proration="commercial_30", contract_code="c", contract_start=date(2026, 2, 10)
    )
    # 10..30 "Feb" = 21 commercial days: 15 × 21/30 = 10.5; × 9800 = 102900.00
    assert [(x.quantity, x.amount) for x in commercial] == [(D("10.500000"), D("102900.00"))]


def test_a_contract_ending_inside_the_period_bills_until_its_end() -> None:
    march = measurement_period("2026-03", None)  # 31 days
    args = ([(date(2026, 2, 1), 15)], [(date(2026, 2, 1), D("9800.00"))])
    actual = position_lines(march, *args, proration="actual_days", contract_code="c", contract_end=date(2026, 3, 15))
    # 1..15 Mar: 15 × 15/31 = 7.2580645.. -> 7.258065; × 9800 = 72580.65 - 1451.613 = 71129.037 -> 71129.04
    assert [(x.quantity, x.amount) for x in actual] == [(D("7.258065"), D("71129.04"))]
    commercial = position_lines(
        march, *args, proration="commercial_30", contract_code="c", contract_end=date(2026, 3, 15)
    )
    # 15 × 15/30 = 7.5; × 9800 = 73500.00
    assert [(x.quantity, x.amount) for x in commercial] == [(D("7.500000"), D("73500.00"))]


def test_nothing_is_billed_outside_the_contract_or_for_a_31st_alone_by_commercial_months() -> None:
    january = measurement_period("2026-01", None)
    args = ([(date(2026, 1, 1), 15)], [(date(2026, 1, 1), D("9800.00"))])
    assert (
        position_lines(january, *args, proration="actual_days", contract_code="c", contract_end=date(2025, 12, 31))
        == []
    )
    assert (
        position_lines(january, *args, proration="actual_days", contract_code="c", contract_start=date(2026, 2, 1))
        == []
    )
    # a contract starting on the 31st: one actual day (15 × 1/31 = 0.483871), no commercial day
    starts_31 = {"contract_code": "c", "contract_start": date(2026, 1, 31)}
    assert [x.quantity for x in position_lines(january, *args, proration="actual_days", **starts_31)] == [D("0.483871")]  # type: ignore[arg-type]
    assert position_lines(january, *args, proration="commercial_30", **starts_31) == []  # type: ignore[arg-type]


def test_a_repeated_count_or_zero_positions_add_no_line() -> None:
    november = measurement_period("2026-11", None)
    prices = [(date(2026, 1, 1), D("9800.00"))]
    same = position_lines(
        november, [(date(2026, 1, 1), 15), (date(2026, 11, 10), 15)], prices, proration="actual_days", contract_code="c"
    )
    assert [(x.description, x.quantity) for x in same] == [("15 positions, 2026-11-01..2026-11-30 (30/30 days)", D(15))]
    paused = position_lines(
        november, [(date(2026, 1, 1), 15), (date(2026, 11, 16), 0)], prices, proration="actual_days", contract_code="c"
    )
    # 1..15 Nov: 15 × 15/30 = 7.5; × 9800 = 73500.00
    assert [(x.quantity, x.amount) for x in paused] == [(D("7.500000"), D("73500.00"))]


def test_missing_counts_or_prices_are_refused() -> None:
    november = measurement_period("2026-11", None)
    prices = [(date(2026, 1, 1), D("9800.00"))]
    with pytest.raises(ValueError, match=r"^positions: no count for 2026-11-01"):
        position_lines(november, [(date(2026, 11, 5), 15)], prices, proration="actual_days", contract_code="c")
    with pytest.raises(ValueError, match=r"^prices: no price valid on 2026-11-01"):
        position_lines(
            november, [(date(2026, 1, 1), 15)], [(date(2026, 11, 2), D(1))], proration="actual_days", contract_code="c"
        )
    with pytest.raises(ValueError, match=r"^positions: the count from 2026-01-01 must be a whole number"):
        position_lines(november, [(date(2026, 1, 1), -1)], prices, proration="actual_days", contract_code="c")
    with pytest.raises(ValueError, match=r"^proration: "):
        position_lines(november, [(date(2026, 1, 1), 1)], prices, proration="monthly", contract_code="c")  # type: ignore[arg-type]


# --- time-billed tickets -----------------------------------------------------------------------


def ticket(ticket_id: int, minutes: str, hour: int = 10) -> TicketTime:
    return TicketTime(ticket_id, f"2026110{ticket_id}", at(date(2026, 11, 3), hour), D(minutes))


def test_each_ticket_bills_its_logged_time_but_never_under_ten_minutes() -> None:
    lines = ticket_time_lines(
        [ticket(2, "27", hour=11), ticket(1, "3"), ticket(3, "0", hour=12), ticket(4, "12.5", hour=13)], D("4.00")
    )
    assert [(x.quantity, x.amount, x.sources) for x in lines] == [
        (D(10), D("40.00"), ("ticket:1", "protocol:20261101")),  # 3 min logged: the 10-minute minimum
        (D(27), D("108.00"), ("ticket:2", "protocol:20261102")),  # 27 × 4.00
        (D(10), D("40.00"), ("ticket:3", "protocol:20261103")),  # nothing logged: still the minimum
        (D("12.5"), D("50.00"), ("ticket:4", "protocol:20261104")),  # 12.5 × 4.00
    ]
    assert lines[0].description == "ticket 20261101: 3 min logged, minimum 10"
    assert lines[1].description == "ticket 20261102: 27 min logged"
    assert {x.unit for x in lines} == {"minute"}


def test_the_ticket_minimum_is_the_contracts() -> None:
    assert ticket_time_lines([ticket(1, "3")], D("4.00"), minimum_minutes=15)[0].amount == D("60.00")
    assert ticket_time_lines([ticket(1, "3")], D("4.00"), minimum_minutes=0)[0].amount == D("12.00")


def test_a_ticket_cannot_be_billed_twice_or_with_negative_time() -> None:
    with pytest.raises(ValueError, match="ticket 1 listed twice"):
        ticket_time_lines([ticket(1, "3"), ticket(1, "5")], D("4.00"))
    with pytest.raises(ValueError, match="ticket 1 has invalid logged minutes"):
        ticket_time_lines([ticket(1, "-3")], D("4.00"))
    with pytest.raises(ValueError, match="ticket 1 has invalid logged minutes"):
        ticket_time_lines([ticket(1, "NaN")], D("4.00"))


# --- on-call shifts ----------------------------------------------------------------------------


def oncall(
    start: datetime, end: datetime, ended: datetime | None = None, specialists: int = 1, shift_id: int = 7
) -> OnCallShift:
    return OnCallShift(shift_id, start, end, ended, specialists)


@pytest.mark.parametrize(
    ("ended", "hours", "amount"),
    [
        (None, D(10), D("2400.00")),  # DOMAIN.md: Saturday 08:00-18:00 bills 10 h (10 × 240)
        (at(SATURDAY, 13), D(5), D("1200.00")),  # ended at 13:00: 5 h
        (at(SATURDAY, 10), D(4), D("960.00")),  # ended at 10:00: 2 h worked, Saturday's 4 h minimum
        (at(SATURDAY, 8), D(4), D("960.00")),  # ended as it began: still the minimum
    ],
)
def test_domain_examples_of_an_oncall_shift(ended: datetime | None, hours: Decimal, amount: Decimal) -> None:
    [billed] = oncall_lines([oncall(at(SATURDAY, 8), at(SATURDAY, 18), ended)], HOURLY, set())
    assert (billed.kind, billed.quantity, billed.unit, billed.amount) == ("oncall", hours, "specialist-hour", amount)
    assert billed.sources == ("oncall:7",)


def test_monday_to_thursday_the_minimum_is_two_hours() -> None:
    [one_hour, three_hours] = oncall_lines(
        [oncall(at(MONDAY, 20), at(MONDAY, 21)), oncall(at(THURSDAY, 20), at(THURSDAY, 23), shift_id=8)], HOURLY, set()
    )
    assert (one_hour.quantity, one_hour.amount) == (D(2), D("480.00"))  # 1 h worked, 2 h minimum
    assert (three_hours.quantity, three_hours.amount) == (D(3), D("720.00"))


def test_a_holiday_has_the_four_hour_minimum() -> None:
    shift = oncall(at(TUESDAY, 20), at(TUESDAY, 21))
    assert oncall_lines([shift], HOURLY, {TUESDAY})[0].quantity == D(4)
    assert oncall_lines([shift], HOURLY, set())[0].quantity == D(2)


def test_the_contract_may_set_its_own_minimums() -> None:
    shift = oncall(at(FRIDAY, 20), at(FRIDAY, 21))
    [billed] = oncall_lines([shift], HOURLY, set(), mon_thu_min=D(3), fri_sun_holiday_min=D("5.5"))
    assert (billed.quantity, billed.amount) == (D("5.5"), D("1320.00"))  # 5.5 × 240


def test_a_shift_over_two_days_takes_its_start_days_minimum() -> None:
    # Thursday 22:00 -> Friday 06:00: 8 h, one 24-hour period
    assert oncall_hours(oncall(at(THURSDAY, 22), at(FRIDAY, 6)), holidays=set()) == [D(8)]
    # Thursday 23:00 -> Friday 01:00 ended at 23:30: Thursday's 2 h, not Friday's 4 h
    assert oncall_hours(oncall(at(THURSDAY, 23), at(FRIDAY, 1), at(THURSDAY, 23, 30)), holidays=set()) == [D(2)]


def test_a_multi_day_shift_bills_each_24_hours_with_the_minimum_of_the_day_it_starts() -> None:
    friday_to_sunday = oncall(at(FRIDAY, 8), at(SUNDAY, 8), at(SATURDAY, 10), specialists=2)
    # Fri 08:00 -> Sat 08:00: 24 h; Sat 08:00 -> 10:00: 2 h worked, Saturday's minimum 4 h
    assert oncall_hours(friday_to_sunday, holidays=set()) == [D(24), D(4)]
    [billed] = oncall_lines([friday_to_sunday], HOURLY, set())
    # (24 + 4) h × 2 specialists = 56; × 240 = 13440.00
    assert (billed.quantity, billed.amount) == (D(56), D("13440.00"))
    assert billed.description.endswith("2 × 28 h (24 + 4 per 24 h)")
    # not ended early: 24 + 24
    assert oncall_hours(oncall(at(FRIDAY, 8), at(SUNDAY, 8)), holidays=set()) == [D(24), D(24)]
    # ended exactly 24 h in: the second period never started
    assert oncall_hours(oncall(at(FRIDAY, 8), at(SUNDAY, 8), at(SATURDAY, 8)), holidays=set()) == [D(24)]
    # Thursday 12:00 -> Friday 13:00: 24 h, then 1 h from Friday 12:00 under Friday's 4 h
    assert oncall_hours(oncall(at(THURSDAY, 12), at(FRIDAY, 13)), holidays=set()) == [D(24), D(4)]


def test_the_day_of_a_period_is_the_local_day() -> None:
    # Wednesday 22:00 -> Friday 00:00 (26 h); the second period starts Thursday 22:00 in São Paulo,
    # already Friday 01:00 in UTC: Thursday's 2 h minimum applies, not Friday's 4 h.
    wednesday = date(2026, 3, 4)
    assert oncall_hours(oncall(at(wednesday, 22), at(FRIDAY, 0)), holidays=set()) == [D(24), D(2)]
    # on a holiday Thursday, 4 h
    assert oncall_hours(oncall(at(wednesday, 22), at(FRIDAY, 0)), holidays={THURSDAY}) == [D(24), D(4)]


def test_a_shift_ended_late_bills_until_it_ended_as_billable_hours_does() -> None:
    assert oncall_hours(oncall(at(MONDAY, 20), at(MONDAY, 23), at(MONDAY, 23, 30)), holidays=set()) == [D("3.5")]


def test_bad_oncall_shifts_are_refused() -> None:
    naive = datetime(2026, 3, 7, 8)
    with pytest.raises(ValueError, match="needs a time zone"):
        oncall_lines([oncall(naive, naive.replace(hour=18))], HOURLY, set())
    with pytest.raises(ValueError, match="on-call shift 7 listed twice"):
        oncall_lines([oncall(at(SATURDAY, 8), at(SATURDAY, 18))] * 2, HOURLY, set())
    with pytest.raises(ValueError, match="specialists must be"):
        oncall_lines([oncall(at(SATURDAY, 8), at(SATURDAY, 18), specialists=0)], HOURLY, set())
    with pytest.raises(ValueError, match="cannot end before it starts"):
        oncall_lines([oncall(at(SATURDAY, 8), at(SATURDAY, 18), at(SATURDAY, 7))], HOURLY, set())
    with pytest.raises(ValueError, match="scheduled to end after it starts"):
        oncall_lines([oncall(at(SATURDAY, 8), at(SATURDAY, 8))], HOURLY, set())


# --- reinforcement shifts ----------------------------------------------------------------------


def test_reinforcement_bills_hours_times_agents() -> None:
    shifts = [
        ExecutedShift(2, at(MONDAY, 8), at(MONDAY, 8, 20), 1),
        ExecutedShift(1, at(MONDAY, 8), at(MONDAY, 14), 3),
    ]
    lines = reinforcement_lines(shifts, D("62.00"))
    assert [(x.quantity, x.amount, x.sources) for x in lines] == [
        (D(18), D("1116.00"), ("reinforcement:1",)),  # 6 h × 3 agents × 62.00
        (D("0.3333"), D("20.66"), ("reinforcement:2",)),  # 20 min = 0.3333 h; × 62 = 20.6646 -> 20.66
    ]
    assert lines[0].unit == "agent-hour"


def test_bad_reinforcement_shifts_are_refused() -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        reinforcement_lines([ExecutedShift(1, at(MONDAY, 8), at(MONDAY, 8), 1)], D("62.00"))
    with pytest.raises(ValueError, match="reinforcement shift 1 listed twice"):
        reinforcement_lines([ExecutedShift(1, at(MONDAY, 8), at(MONDAY, 9), 1)] * 2, D("62.00"))
    with pytest.raises(ValueError, match="agents must be"):
        reinforcement_lines([ExecutedShift(1, at(MONDAY, 8), at(MONDAY, 9), 0)], D("62.00"))


# --- SLA credits and bonuses -------------------------------------------------------------------


def test_sla_credits_and_bonuses_become_a_negative_and_a_positive_line() -> None:
    lines = sla_lines(D("-1500.00"), D("2000.00"), D("500.00"), "r-2026-11", CHECKSUM)
    sources = ("report:r-2026-11", f"sha256:{CHECKSUM}")
    assert [(x.kind, x.quantity, x.unit_price, x.amount, x.sources) for x in lines] == [
        ("sla_credit", D(1), D("-2000.00"), D("-2000.00"), sources),
        ("sla_bonus", D(1), D("500.00"), D("500.00"), sources),
    ]
    # the lines add up to the statement's adjustment: 500.00 - 2000.00
    assert Measurement(tuple(lines)).total == D("-1500.00")


def test_a_zero_credit_or_bonus_adds_no_line() -> None:
    assert [x.kind for x in sla_lines(D("300.00"), D("0.00"), D("300.00"), "r", CHECKSUM)] == ["sla_bonus"]
    assert sla_lines(D("0.00"), D("0.00"), D("0.00"), "r", CHECKSUM) == []


def test_sla_lines_check_the_statement() -> None:
    with pytest.raises(ValueError, match=r"^statement_adjustment: "):
        sla_lines(D("-1000.00"), D("2000.00"), D("500.00"), "r", CHECKSUM)
    with pytest.raises(ValueError, match=r"^credits, bonuses: "):
        sla_lines(D("-2500.00"), D("2000.00"), D("-500.00"), "r", CHECKSUM)
    with pytest.raises(ValueError, match=r"^checksum: "):
        sla_lines(D("0.00"), D("0.00"), D("0.00"), "r", "not-a-sha")
    with pytest.raises(ValueError, match=r"^credits: "):
        sla_lines(D("-0.005"), D("0.005"), D("0.00"), "r", CHECKSUM)

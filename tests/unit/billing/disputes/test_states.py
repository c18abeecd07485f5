from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ops.billing.disputes.states import (
    CLOSED,
    CREDITED,
    DEFAULT_DEADLINE_DAYS,
    NEXT_STATES,
    OPENED,
    RECALCULATION_GRANTED,
    REFUSED,
    SUBMITTED,
    DisputeError,
    DisputeState,
    deadline,
    due_date_alert,
    follow_up_due,
    open_dispute,
    split_amounts,
    transition,
)

D = Decimal
SP = ZoneInfo("America/Sao_Paulo")
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=SP)
STATES = [OPENED, SUBMITTED, RECALCULATION_GRANTED, CREDITED, REFUSED, CLOSED]
LEGAL = [
    (OPENED, SUBMITTED),
    (OPENED, REFUSED),
    (SUBMITTED, RECALCULATION_GRANTED),
    (SUBMITTED, REFUSED),
    (RECALCULATION_GRANTED, CREDITED),
    (CREDITED, CLOSED),
    (REFUSED, CLOSED),
]
ILLEGAL = [(a, b) for a in STATES for b in STATES if (a, b) not in LEGAL]
DATA: dict[str, dict[str, Any]] = {
    SUBMITTED: {},
    RECALCULATION_GRANTED: {"recalculation_number": "RC-2026-00042", "resolution_date": date(2026, 4, 2)},
    CREDITED: {"credited_amount": D("2500.00"), "credit_reference": "NC-0007"},
    REFUSED: {"reason": "measurement signed by the client's supervisor"},
    CLOSED: {},
}


def dispute(state: str = OPENED) -> DisputeState:
    return DisputeState(state, D("2500.00"), D("7500.00"), entered_at=T0)


def step(current: DisputeState, to: str, days: int = 1, **data: Any) -> tuple[DisputeState, Any]:
    return transition(current, to, at=T0 + timedelta(days=days), by="ana.souza", data=data)


def test_the_whole_road_from_opened_to_closed() -> None:
    state, opening = open_dispute(D("10000.00"), D("2500.00"), at=T0, by="ana.souza")
    assert (state.state, state.disputed, state.undisputed) == (OPENED, D("2500.00"), D("7500.00"))
    assert (opening.from_state, opening.to_state, dict(opening.data)) == (
        None,
        OPENED,
        {"disputed": "2500.00", "undisputed": "7500.00"},
    )
    state, _ = step(state, SUBMITTED, 1, protocol="ANATEL-123")
    state, granted = step(state, RECALCULATION_GRANTED, 20, **DATA[RECALCULATION_GRANTED])
    state, credited = step(state, CREDITED, 40, credited_amount="1800.00", credit_reference="NF-0105")
    state, closed = step(state, CLOSED, 41)
    assert state == DisputeState(
        CLOSED,
        D("2500.00"),
        D("7500.00"),
        entered_at=T0 + timedelta(days=41),
        protocol="ANATEL-123",
        recalculation_number="RC-2026-00042",
        resolution_date=date(2026, 4, 2),
        credited_amount=D("1800.00"),  # a partial credit: less than disputed is allowed
        credit_reference="NF-0105",
    )
    assert (granted.by, granted.at, granted.from_state, granted.to_state) == (
        "ana.souza",
        T0 + timedelta(days=20),
        SUBMITTED,
        RECALCULATION_GRANTED,
    )
    assert dict(granted.data) == {"recalculation_number": "RC-2026-00042", "resolution_date": "2026-04-02"}
    assert dict(credited.data) == {"credit_reference": "NF-0105", "credited_amount": "1800.00"}
    assert dict(closed.data) == {}


@pytest.mark.parametrize(("from_state", "to"), LEGAL)
def test_every_legal_transition(from_state: str, to: str) -> None:
    moved, entry = step(dispute(from_state), to, **DATA[to])
    assert (moved.state, entry.from_state, entry.to_state) == (to, from_state, to)
    assert moved.entered_at == T0 + timedelta(days=1)


def test_the_legal_transitions_are_exactly_the_table() -> None:
    assert sorted((a, b) for a, nexts in NEXT_STATES.items() for b in nexts) == sorted(LEGAL)


@pytest.mark.parametrize(("from_state", "to"), ILLEGAL)
def test_every_illegal_transition_names_from_to_and_what_is_allowed(from_state: str, to: str) -> None:
    allowed = ", ".join(NEXT_STATES[from_state]) or f"none ({from_state} is final)"
    with pytest.raises(DisputeError) as raised:
        step(dispute(from_state), to, **DATA.get(to, {}))
    assert str(raised.value) == f"cannot go from {from_state} to {to}; allowed next: {allowed}"


def test_an_unknown_target_state_is_illegal() -> None:
    with pytest.raises(DisputeError, match="cannot go from opened to paid; allowed next: submitted, refused"):
        step(dispute(), "paid")


def test_refused_keeps_its_reason() -> None:
    moved, entry = step(dispute(SUBMITTED), REFUSED, reason="  out of the contestation window  ")
    assert moved.reason == "out of the contestation window"
    assert entry.data["reason"] == "  out of the contestation window  "


@pytest.mark.parametrize(
    ("from_state", "to", "data", "message"),
    [
        (SUBMITTED, RECALCULATION_GRANTED, {"resolution_date": date(2026, 4, 2)}, "requires recalculation_number"),
        (
            SUBMITTED,
            RECALCULATION_GRANTED,
            {"recalculation_number": "", "resolution_date": date(2026, 4, 2)},
            "requires recalculation_number",
        ),
        (
            SUBMITTED,
            RECALCULATION_GRANTED,
            {"recalculation_number": "   ", "resolution_date": date(2026, 4, 2)},
            "recalculation_number must be non-empty",
        ),
        (SUBMITTED, RECALCULATION_GRANTED, {"recalculation_number": "RC-1"}, "requires resolution_date"),
        (
            SUBMITTED,
            RECALCULATION_GRANTED,
            {"recalculation_number": "RC-1", "resolution_date": date(2020, 1, 1)},
            "resolution_date 2020-01-01 is before the dispute was submitted",
        ),
        (SUBMITTED, RECALCULATION_GRANTED, {}, "requires recalculation_number, resolution_date"),
        (
            SUBMITTED,
            RECALCULATION_GRANTED,
            {"recalculation_number": "RC-1", "resolution_date": "2026-04-02"},
            "resolution_date must be a date",
        ),
        (
            SUBMITTED,
            RECALCULATION_GRANTED,
            {"recalculation_number": "RC-1", "resolution_date": datetime(2026, 4, 2, tzinfo=SP)},
            "resolution_date must be a date",
        ),
        (RECALCULATION_GRANTED, CREDITED, {"credit_reference": "NC-1"}, "requires credited_amount"),
        (RECALCULATION_GRANTED, CREDITED, {"credited_amount": D("100.00")}, "requires credit_reference"),
        (
            RECALCULATION_GRANTED,
            CREDITED,
            {"credited_amount": D(0), "credit_reference": "NC-1"},
            "credited_amount must be positive",
        ),
        (
            RECALCULATION_GRANTED,
            CREDITED,
            {"credited_amount": D("-1.00"), "credit_reference": "NC-1"},
            "credited_amount must be positive",
        ),
        (
            RECALCULATION_GRANTED,
            CREDITED,
            {"credited_amount": D("2500.01"), "credit_reference": "NC-1"},
            "above the disputed 2500.00",
        ),
        (
            RECALCULATION_GRANTED,
            CREDITED,
            {"credited_amount": 100.5, "credit_reference": "NC-1"},
            "never a float",
        ),
        (
            RECALCULATION_GRANTED,
            CREDITED,
            {"credited_amount": D("10.005"), "credit_reference": "NC-1"},
            "in cents",
        ),
        (
            RECALCULATION_GRANTED,
            CREDITED,
            {"credited_amount": "mil", "credit_reference": "NC-1"},
            "not a number",
        ),
        (
            RECALCULATION_GRANTED,
            CREDITED,
            {"credited_amount": D("10.00"), "credit_reference": " "},
            "credit_reference must be non-empty",
        ),
        (OPENED, REFUSED, {}, "requires reason"),
        (SUBMITTED, REFUSED, {"reason": ""}, "requires reason"),
        (SUBMITTED, REFUSED, {"reason": "  "}, "reason must be non-empty"),
        (SUBMITTED, REFUSED, {"reason": 42}, "reason must be non-empty text"),
    ],
)
def test_required_fields_are_refused_when_missing_or_wrong(
    from_state: str, to: str, data: dict[str, Any], message: str
) -> None:
    with pytest.raises(DisputeError, match=message):
        step(dispute(from_state), to, **data)


def test_a_misspelt_field_is_refused_not_ignored() -> None:
    with pytest.raises(DisputeError, match="recalculation_granted does not take recalc_number"):
        step(dispute(SUBMITTED), RECALCULATION_GRANTED, recalc_number="RC-1", resolution_date=date(2026, 4, 2))


def test_a_note_is_welcome_on_any_step() -> None:
    _, entry = step(dispute(CREDITED), CLOSED, note="credit checked on NF-0105")
    assert entry.data == {"note": "credit checked on NF-0105"}


def test_who_and_when_are_required() -> None:
    with pytest.raises(DisputeError, match="aware datetime"):
        transition(dispute(), SUBMITTED, at=datetime(2026, 3, 11, 9, 0), by="ana.souza", data={})
    with pytest.raises(DisputeError, match="who took it"):
        transition(dispute(), SUBMITTED, at=T0 + timedelta(days=1), by=" ", data={})
    with pytest.raises(DisputeError, match="before opened was entered"):
        transition(dispute(), SUBMITTED, at=T0 - timedelta(minutes=1), by="ana.souza", data={})


def test_a_state_is_validated_on_construction() -> None:
    with pytest.raises(DisputeError, match="unknown dispute state 'paid'"):
        DisputeState("paid", D(0), D(0))
    with pytest.raises(DisputeError, match="negative"):
        DisputeState(OPENED, D("-1.00"), D(0))


def test_split_amounts_leaves_the_undisputed_part_payable() -> None:
    # 10000.00 billed, 2500.00 contested: 10000.00 - 2500.00 = 7500.00 is paid on the due date
    assert split_amounts(D("10000.00"), D("2500.00")) == (D("2500.00"), D("7500.00"))
    assert split_amounts(D("10000.00"), D("10000.00")) == (D("10000.00"), D("0.00"))
    assert split_amounts(D("10000.00"), D(0)) == (D(0), D("10000.00"))


@pytest.mark.parametrize(
    ("total", "disputed", "message"),
    [
        ("10000.00", "10000.01", "above the billed total"),
        ("10000.00", "-0.01", "disputed amount cannot be negative"),
        ("-1.00", "0", "total billed cannot be negative"),
        ("10000.00", "0.001", "disputed amount must be in cents"),
    ],
)
def test_split_amounts_refuses_impossible_amounts(total: str, disputed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_amounts(D(total), D(disputed))


def test_a_dispute_of_nothing_cannot_be_opened() -> None:
    with pytest.raises(DisputeError, match="positive disputed amount"):
        open_dispute(D("10000.00"), D(0), at=T0, by="ana.souza")


@pytest.mark.parametrize(
    ("state", "entered", "expected"),
    [
        (OPENED, date(2026, 3, 10), date(2026, 3, 20)),  # 10 days
        (SUBMITTED, date(2026, 3, 10), date(2026, 4, 9)),  # 30 days: 21 left in March + 9 in April
        (RECALCULATION_GRANTED, date(2026, 2, 10), date(2026, 3, 12)),  # 30 days: 18 left in February + 12
        (CREDITED, date(2026, 12, 29), date(2027, 1, 3)),  # 5 days across the year
        (REFUSED, date(2026, 3, 10), date(2026, 3, 20)),  # 10 days
        (CLOSED, date(2026, 3, 10), None),
    ],
)
def test_default_deadlines_in_calendar_days(state: str, entered: date, expected: date | None) -> None:
    assert deadline(state, entered, DEFAULT_DEADLINE_DAYS) == expected
    assert deadline(state, entered) == expected


def test_the_contract_overrides_deadlines_state_by_state() -> None:
    contract = {SUBMITTED: 15, CLOSED: 3}
    assert deadline(SUBMITTED, date(2026, 3, 10), contract) == date(2026, 3, 25)
    assert deadline(OPENED, date(2026, 3, 10), contract) == date(2026, 3, 20)  # the default
    assert deadline(CLOSED, date(2026, 3, 10), contract) is None  # closed has nothing left to answer


def test_deadline_refuses_unknown_states_and_negative_days() -> None:
    with pytest.raises(DisputeError, match="unknown dispute state"):
        deadline("paid", date(2026, 3, 10))
    with pytest.raises(ValueError, match="cannot be negative"):
        deadline(SUBMITTED, date(2026, 3, 10), {SUBMITTED: -1})


@pytest.mark.parametrize(
    ("today", "days_before", "due"),
    [
        (date(2026, 4, 8), 0, False),  # the deadline (2026-04-09) not reached
        (date(2026, 4, 9), 0, True),  # the deadline day
        (date(2026, 4, 30), 0, True),  # overdue
        (date(2026, 4, 6), 3, True),  # 2026-04-09 - 3 days
        (date(2026, 4, 5), 3, False),
    ],
)
def test_follow_up_due_from_the_deadline(today: date, days_before: int, due: bool) -> None:
    assert follow_up_due(SUBMITTED, date(2026, 3, 10), today, days_before=days_before) is due


def test_no_follow_up_once_closed() -> None:
    assert follow_up_due(CLOSED, date(2026, 3, 10), date(2027, 1, 1)) is False
    with pytest.raises(ValueError, match="days_before"):
        follow_up_due(SUBMITTED, date(2026, 3, 10), date(2026, 3, 11), days_before=-1)


@pytest.mark.parametrize(
    ("today", "alert"),
    [
        (date(2026, 4, 9), False),  # six days before 2026-04-15
        (date(2026, 4, 10), True),  # five days before
        (date(2026, 4, 15), True),  # the due date
        (date(2026, 4, 20), True),  # past due: the undisputed part is still owed
    ],
)
def test_due_date_alert_five_days_before(today: date, alert: bool) -> None:
    assert due_date_alert(date(2026, 4, 15), today, 5) is alert


def test_due_date_alert_refuses_negative_days() -> None:
    with pytest.raises(ValueError, match="days_before"):
        due_date_alert(date(2026, 4, 15), date(2026, 4, 1), -1)


def test_audit_entries_keep_aware_times() -> None:
    _, entry = step(dispute(), SUBMITTED)
    assert entry.at == datetime.combine(date(2026, 3, 11), time(9, 0), tzinfo=SP)

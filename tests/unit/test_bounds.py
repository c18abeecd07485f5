"""The bounds every input meets at the edge (ops.bounds): the date window, text, trees, numbers, weeks and the
names a contract file gives."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec
import pytest

from ops import bounds
from ops.errors import InvalidInputError


@pytest.fixture(autouse=True)
def default_window() -> None:
    bounds.set_window(bounds.Window())


def test_the_window_runs_from_2000_to_ten_years_ahead() -> None:
    today = date(2026, 12, 6)
    assert bounds.date_problem(date(2000, 1, 1), today=today) is None
    assert bounds.date_problem(date(2036, 12, 6), today=today) is None
    assert bounds.date_problem(date(2036, 12, 7), today=today) == "2036-12-07 is outside 2000-01-01 to 2036-12-06"
    assert bounds.date_problem(datetime(1, 1, 1), today=today) == (
        "0001-01-01T00:00:00 is outside 2000-01-01 to 2036-12-06"
    )
    assert bounds.Window().latest(date(2028, 2, 29)) == date(2038, 2, 28)


def test_the_window_is_the_runtimes_setting() -> None:
    bounds.set_window(bounds.Window(date(1990, 1, 1), 1))
    assert bounds.date_problem(date(1995, 5, 5)) is None
    with pytest.raises(InvalidInputError) as caught:
        bounds.check_date(date(2099, 1, 1), "starts_on")
    assert caught.value.extra[0]["field"] == "starts_on"


@pytest.mark.parametrize(
    ("day", "problem"),
    [
        (date(2026, 11, 30), None),
        (date(2026, 12, 2), "2026-12-02 is a Wednesday: a week starts on a Monday"),
        (date(9999, 12, 27), "is outside"),
        (date(1, 1, 1), "is outside"),
    ],
)
def test_a_week_is_a_monday_within_the_window(day: date, problem: str | None) -> None:
    found = bounds.week_problem(day)
    assert found == problem if problem is None else problem in (found or "")


@pytest.mark.parametrize("text", ["a\x00b", "\x1b[2J", "\x7f", "\x85", "\ud800"])
def test_control_characters_are_named_with_their_position(text: str) -> None:
    problem = bounds.text_problem(text, multiline=True)
    assert problem is not None and problem.startswith("control character U+")


def test_long_text_keeps_line_breaks_and_tabs_one_line_text_does_not() -> None:
    assert bounds.text_problem("a\r\n\tb", multiline=True) is None
    assert bounds.text_problem("a\nb") == "control character U+000A at position 1 is not allowed"
    assert bounds.text_problem("x" * 11, max_length=10) == "too long: 11 characters (at most 10)"


def test_a_tree_reports_every_bad_leaf_by_path_and_survives_any_depth() -> None:
    deep: object = 1
    for _ in range(10_000):
        deep = [deep]
    tree = {"a": {"b": ["ok", "n\x00l"]}, "k\x00": 1, "v": float("inf"), "d": deep, "m": Decimal("NaN")}
    assert bounds.tree_problems(tree) == [
        ("a.b[1]", "control character U+0000 at position 1 is not allowed"),
        ("k\x00", "field name: control character U+0000 at position 1 is not allowed"),
        ("v", "inf is not a finite number"),
        ("d" + "[0]" * 31, "nested deeper than 32 levels"),
        ("m", "NaN is not a finite number"),
    ]


@pytest.mark.parametrize(("value", "expected"), [("12", 12), (3.0, 3), (7, 7), ("²", None), ("١", None), (True, None)])
def test_integers_are_ascii_digits(value: object, expected: int | None) -> None:
    assert bounds.integer_of(value) == expected


@pytest.mark.parametrize("value", [float("inf"), Decimal("Infinity"), float("nan"), Decimal("1e400"), 1e13])
def test_money_is_finite_and_in_range(value: float | Decimal) -> None:
    assert bounds.number_problem(value, low=0, high=bounds.MAX_MONEY) is not None


@pytest.mark.parametrize(
    ("check", "value", "ok"),
    [
        (bounds.identifier_problem, "monthly-pdf_1", True),
        (bounds.identifier_problem, "../../etc/passwd", False),
        (bounds.identifier_problem, "a/b", False),
        (bounds.email_problem, "relatorios@cliente.com.br", True),
        (bounds.email_problem, "not an address", False),
        (bounds.email_problem, "a@b", False),
        (bounds.url_problem, "https://client.example:8443/reports?x=1", True),
        (bounds.url_problem, "ftp://client.example/", False),
        (bounds.url_problem, "https://", False),
        (bounds.url_problem, "https://client.example/\r\nHost: evil", False),
        (bounds.url_problem, "https://client.example:99999/", False),
    ],
)
def test_names_a_contract_file_gives(check: object, value: str, ok: bool) -> None:
    assert callable(check)
    assert (check(value) is None) is ok


class Note(bounds.Bounded, forbid_unknown_fields=True):
    __multiline__ = frozenset({"text"})
    at: datetime
    text: str
    tags: list[str] = msgspec.field(default_factory=list)


def test_a_bounded_struct_names_the_field_and_its_path() -> None:
    assert msgspec.json.decode(b'{"at": "2026-12-01T10:00:00Z", "text": "a\\nb"}', type=Note).text == "a\nb"
    with pytest.raises(msgspec.ValidationError, match=r"out of bounds: at: 0002-01-01T00:00:00\+00:00 is outside"):
        msgspec.json.decode(b'{"at": "0002-01-01T00:00:00Z", "text": ""}', type=Note)
    with pytest.raises(msgspec.ValidationError, match=r"out of bounds: tags: control character U\+0000"):
        msgspec.json.decode(b'{"at": "2026-12-01T10:00:00Z", "text": "", "tags": ["\\u0000"]}', type=Note)
    with pytest.raises(msgspec.ValidationError, match=r"- at `\$\[1\]`"):
        msgspec.json.decode(
            b'[{"at": "2026-12-01T10:00:00Z", "text": ""}, {"at": "2026-12-01T10:00:00Z", "text": "\\u0000"}]',
            type=list[Note],
        )


def test_history_reaches_back_to_1970_for_the_1999_reference_logs() -> None:
    assert bounds.history_problem(date(1999, 2, 1)) is None
    assert bounds.date_problem(date(1999, 2, 1)) is not None
    assert bounds.history_problem(date(1969, 12, 31), today=date(2026, 12, 6)) == (
        "1969-12-31 is outside 1970-01-01 to 2036-12-06"
    )


def test_a_tree_of_billions_of_shared_values_stops_at_the_cap() -> None:
    laugh: object = "lol"
    for _ in range(12):  # 10**12 leaves through shared references, as YAML aliases make them
        laugh = [laugh] * 10
    assert bounds.tree_problems(laugh) == [("", "more than 100,000 values")]


def test_a_field_named_with_a_lone_surrogate_is_named_back_escaped() -> None:
    (problem,) = bounds.tree_problems({"a": {"x\ud933\x00": 1}})
    assert problem == ("a.x\\ud933\x00", "field name: control character U+D933 at position 1 is not allowed")
    msgspec.json.encode(problem)  # a lone surrogate left in would not encode

"""Protocol numbers: readable, unique per day and sequence, ordered by date."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops.queues.intake.protocol import MAX_SEQUENCE, Protocol, format_protocol, parse_protocol


def test_protocol_is_the_day_then_a_zero_padded_sequence() -> None:
    assert format_protocol(date(2026, 11, 23), 42) == "2026112300000042"
    assert format_protocol(date(2026, 11, 23), 42, prefix="REF-") == "REF-2026112300000042"


def test_parse_round_trips_with_or_without_prefix() -> None:
    assert parse_protocol("2026112300000042") == Protocol(date(2026, 11, 23), 42)
    assert parse_protocol(" ref-2026112300000042 ") == Protocol(date(2026, 11, 23), 42, "REF-")
    assert parse_protocol("BR12026112300000042").prefix == "BR1"
    assert str(Protocol(date(2026, 1, 2), 7)) == "2026010200000007"


@pytest.mark.parametrize(
    "text",
    ["", "20261123", "2026112300000000", "2026133100000001", "202611230000004x", "2026 1123 0000 0042"],
)
def test_malformed_protocols_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="not a protocol number"):
        parse_protocol(text)


@pytest.mark.parametrize(("seq", "prefix"), [(0, ""), (MAX_SEQUENCE + 1, ""), (1, "a b"), (1, "X" * 17)])
def test_bad_sequence_or_prefix_is_rejected(seq: int, prefix: str) -> None:
    with pytest.raises(ValueError, match=r"sequence|prefix"):
        format_protocol(date(2026, 11, 23), seq, prefix)


@given(
    st.lists(
        st.tuples(st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.integers(1, MAX_SEQUENCE)),
        min_size=2,
        max_size=30,
        unique=True,
    )
)
def test_sorting_the_strings_sorts_by_day_then_sequence(parts: list[tuple[date, int]]) -> None:
    strings = [format_protocol(day, seq, "OPS") for day, seq in parts]
    assert sorted(strings) == [format_protocol(day, seq, "OPS") for day, seq in sorted(parts)]
    assert len(set(strings)) == len(parts)
    assert [(p.day, p.seq) for p in map(parse_protocol, strings)] == parts

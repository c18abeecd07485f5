"""The week the staffing page opens on: the next one, on the contract's clock rather than the server's."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ops.l10n import Formats
from ops.staffing.planning.services import next_week


def test_next_week_starts_on_the_monday_after_the_contracts_today() -> None:
    wednesday = datetime(2026, 12, 2, 15, tzinfo=UTC)
    assert next_week(wednesday, "America/Sao_Paulo") == date(2026, 12, 7)
    monday = datetime(2026, 12, 7, 12, tzinfo=UTC)
    assert next_week(monday, "America/Sao_Paulo") == date(2026, 12, 14)  # today's week has begun: not that one


def test_late_on_sunday_in_sao_paulo_next_week_still_starts_tomorrow() -> None:
    # 01:30 UTC on Monday 7 December is 22:30 on Sunday the 6th in São Paulo (UTC-3).
    late = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    assert next_week(late, "America/Sao_Paulo") == date(2026, 12, 7)
    assert next_week(late, "UTC") == date(2026, 12, 14)  # the server's clock would skip a week
    assert next_week(late, "Asia/Tokyo") == date(2026, 12, 14)


def test_a_bias_is_written_with_its_sign_in_the_readers_locale() -> None:
    assert Formats("pt-BR").signed_percent(0.031) == "+3,1%"
    assert Formats("es-AR").signed_percent(-0.02) == "-2,0%"  # as Formats.percent writes it
    assert Formats("en").signed_percent(0.1234, 2) == "+12.34%"

"""Mass outages: bursts of technical tickets from one area grouped under one incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops.queues.intake.outage import (
    OutageIncident,
    TicketSignal,
    detect,
    find_incident,
    forecast_end,
    normalize_area,
)

T0 = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


def ticket(
    ticket_id: int,
    minute: float,
    area: str = "Sao Paulo - SP",
    *,
    technical: bool = True,
    linked: bool = False,
) -> TicketSignal:
    return TicketSignal(ticket_id, area, T0 + timedelta(minutes=minute), technical, linked)


def test_area_spellings_collapse_to_one() -> None:
    assert normalize_area("São Paulo - SP") == normalize_area(" sao  paulo/sp ") == "sao paulo sp"
    assert normalize_area("Córdoba") == normalize_area("CORDOBA")
    assert normalize_area(None) == ""


def test_one_ticket_short_of_the_threshold_opens_no_incident() -> None:
    recent = [ticket(1, 0), ticket(2, 5), ticket(3, 10)]
    assert detect(recent, ticket(4, 12), threshold=5, window_minutes=30) == []


def test_threshold_tickets_within_the_window_open_an_incident() -> None:
    recent = [ticket(1, 0), ticket(2, 5, "SÃO PAULO/SP"), ticket(3, 10), ticket(4, 20)]
    assert detect(recent, ticket(5, 30), threshold=5, window_minutes=30) == [1, 2, 3, 4, 5]


def test_tickets_spread_wider_than_the_window_open_no_incident() -> None:
    recent = [ticket(1, 0), ticket(2, 5), ticket(3, 10), ticket(4, 20)]
    assert detect(recent, ticket(5, 31), threshold=5, window_minutes=30) == []


def test_tickets_of_other_areas_do_not_count() -> None:
    recent = [ticket(1, 0), ticket(2, 1), ticket(3, 2, "Campinas - SP"), ticket(4, 3)]
    assert detect(recent, ticket(5, 4), threshold=5, window_minutes=30) == []


def test_non_technical_tickets_neither_count_nor_trigger() -> None:
    recent = [ticket(1, 0), ticket(2, 1), ticket(3, 2, technical=False), ticket(4, 3)]
    assert detect(recent, ticket(5, 4), threshold=5, window_minutes=30) == []
    billing = ticket(5, 4, technical=False)
    recent = [ticket(1, 0), ticket(2, 1), ticket(3, 2), ticket(4, 3)]
    assert detect(recent, billing, threshold=5, window_minutes=30) == []


def test_tickets_already_in_an_incident_do_not_count_again() -> None:
    recent = [ticket(1, 0, linked=True), ticket(2, 1), ticket(3, 2), ticket(4, 3)]
    assert detect(recent, ticket(5, 4), threshold=5, window_minutes=30) == []


def test_only_tickets_inside_the_window_are_grouped() -> None:
    recent = [ticket(1, -90), ticket(2, 0), ticket(3, 1), ticket(4, 2)]
    assert detect(recent, ticket(5, 3), threshold=3, window_minutes=30) == [2, 3, 4, 5]


def test_replayed_tickets_in_any_order_group_the_same_burst() -> None:
    # A bulk replay may bring the middle ticket of a burst last.
    recent = [ticket(1, 0), ticket(3, 20), ticket(4, 25)]
    assert detect(recent, ticket(2, 10), threshold=4, window_minutes=30) == [1, 2, 3, 4]
    # With no window of 30 minutes holding 4, the late arrival changes nothing.
    recent = [ticket(1, 0), ticket(3, 20), ticket(4, 45)]
    assert detect(recent, ticket(2, 10), threshold=4, window_minutes=30) == []


def test_ticket_without_area_never_opens_an_incident() -> None:
    recent = [ticket(i, i, "") for i in range(1, 10)]
    assert detect(recent, ticket(10, 10, ""), threshold=3, window_minutes=30) == []


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="threshold"):
        detect([], ticket(1, 0), threshold=0, window_minutes=30)
    with pytest.raises(ValueError, match="window_minutes"):
        detect([], ticket(1, 0), threshold=2, window_minutes=-1)


def test_later_tickets_of_the_area_link_to_the_active_incident() -> None:
    opened = T0 + timedelta(minutes=30)
    incidents = [
        OutageIncident(7, "SÃO PAULO - SP", opened, forecast_end(opened, 4.0)),
        OutageIncident(8, "Campinas", opened, None),
    ]
    assert find_incident(incidents, ticket(20, 60)) == 7
    assert find_incident(incidents, ticket(21, 60, "campinas")) == 8
    assert find_incident(incidents, ticket(22, 60, "Santos")) is None
    assert find_incident(incidents, ticket(23, 60, technical=False)) is None
    # Before it opened or after its end the incident takes nothing.
    assert find_incident(incidents, ticket(24, 10)) is None
    assert find_incident(incidents, ticket(25, 30 + 4 * 60)) is None


def test_the_latest_overlapping_incident_wins() -> None:
    incidents = [OutageIncident(1, "Rosario", T0), OutageIncident(2, "rosario", T0 + timedelta(hours=1))]
    assert find_incident(incidents, ticket(9, 120, "Rosario")) == 2

"""Intake's pure rules: what a CRM delivery must hold, how its body is decoded, and webhook signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ops.errors import InvalidInputError
from ops.queues.intake.rules import parse_ticket, sign, signature_problem

SECRET = b"s3cret"
NOW = 1_700_000_000


def problems_of(data: object) -> list[dict[str, str]]:
    with pytest.raises(InvalidInputError) as caught:
        parse_ticket(data)
    assert caught.value.extra is not None
    return list(caught.value.extra)


def fields_of(data: object) -> set[str]:
    return {p["field"] for p in problems_of(data)}


# --- parse_ticket --------------------------------------------------------------------------------


def test_a_minimal_delivery_gets_the_defaults() -> None:
    ticket = parse_ticket({"external_id": " CRM-1 ", "channel": "EMAIL"})
    assert ticket.key == ("crm", "CRM-1")
    assert ticket.channel == "email"
    assert (ticket.contract, ticket.reason, ticket.subject, ticket.body) == (None, None, "", "")
    assert ticket.customer == {}
    assert ticket.created_at is None


def test_a_full_delivery_keeps_what_intake_needs_and_the_raw_payload() -> None:
    data: dict[str, Any] = {
        "external_id": 991,
        "channel": "twitter",
        "source": "social-listener",
        "contract": "REF-2026",
        "reason": "no_internet",
        "subject": "  sem internet  ",
        "body": "  since yesterday\n",
        "customer": {"id": "C1", "area": "Centro", "segment": "vip", "followers": "12000", "unknown": 1},
        "created_at": "2026-11-23T10:15:00-03:00",
        "crm_only": {"x": [1, 2]},
    }
    ticket = parse_ticket(data)
    assert ticket.external_id == "991"
    assert ticket.subject == "sem internet"
    assert ticket.body == "  since yesterday\n", "the body is kept verbatim"
    assert ticket.customer == {"id": "C1", "area": "Centro", "segment": "vip", "followers": 12000}
    assert ticket.created_at == datetime(2026, 11, 23, 13, 15, tzinfo=UTC)
    assert ticket.created_at.utcoffset() == timedelta(hours=-3), "the sender's offset is kept"
    assert ticket.raw == data


def test_a_naive_created_at_stays_naive_for_the_contract_to_place() -> None:
    assert parse_ticket({"external_id": "1", "channel": "crm", "created_at": "2026-11-23T10:15"}).created_at == (
        datetime(2026, 11, 23, 10, 15)
    )


@pytest.mark.parametrize("data", [[], "ticket", 3, None])
def test_a_delivery_that_is_not_an_object_is_refused(data: object) -> None:
    assert problems_of(data) == [{"field": "", "problem": f"expected an object, got {type(data).__name__}"}]


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_external_id_and_channel_are_required(blank: object) -> None:
    assert problems_of({"external_id": blank, "channel": blank}) == [
        {"field": "external_id", "problem": "required"},
        {"field": "channel", "problem": "required"},
    ]


def test_every_bad_field_is_reported_at_once_with_its_path() -> None:
    found = problems_of(
        {
            "external_id": True,
            "channel": "pigeon",
            "subject": "x" * 501,
            "reason": ["billing"],
            "customer": {"name": 7.5, "state": "SPX", "followers": -3},
            "created_at": "yesterday",
        }
    )
    by_field = {p["field"]: p["problem"] for p in found}
    assert set(by_field) == {
        "external_id",
        "channel",
        "subject",
        "reason",
        "customer.name",
        "customer.state",
        "customer.followers",
        "created_at",
    }
    assert by_field["external_id"] == "expected a string, got bool"
    assert by_field["channel"].startswith("unknown channel 'pigeon'")
    assert by_field["subject"] == "too long: 501 characters (at most 500)"
    assert by_field["reason"] == "expected a string, got list"
    assert by_field["customer.state"] == "too long: 3 characters (at most 2)"
    assert by_field["customer.followers"] == "expected a non-negative integer, got -3"
    assert "'yesterday' is not an ISO 8601 date-time" in by_field["created_at"]


def test_the_error_message_names_each_problem() -> None:
    with pytest.raises(InvalidInputError, match=r"channel: required; created_at: expected an ISO 8601 date-time"):
        parse_ticket({"external_id": "1", "created_at": 1700000000})


def test_customer_must_be_an_object() -> None:
    assert problems_of({"external_id": "1", "channel": "crm", "customer": "C1"}) == [
        {"field": "customer", "problem": "expected an object, got str"}
    ]


@pytest.mark.parametrize(("followers", "expected"), [(0, 0), (3.0, 3), (" 42 ", 42), ("", None), (None, None)])
def test_followers_accepts_whole_numbers_in_any_json_form(followers: object, expected: int | None) -> None:
    customer = parse_ticket({"external_id": "1", "channel": "x", "customer": {"followers": followers}}).customer
    assert customer.get("followers") == expected


@pytest.mark.parametrize("followers", [1.5, -1.0, "many", True, "-4"])
def test_followers_refuses_what_is_not_a_count(followers: object) -> None:
    assert fields_of({"external_id": "1", "channel": "x", "customer": {"followers": followers}}) == {
        "customer.followers"
    }


def test_body_limit_is_the_callers() -> None:
    data = {"external_id": "1", "channel": "email", "body": "x" * 101}
    assert parse_ticket(data).body == "x" * 101
    with pytest.raises(InvalidInputError, match=r"body: too long: 101 characters \(at most 100\)"):
        parse_ticket(data, max_body_chars=100)


# --- webhook signatures --------------------------------------------------------------------------


def check(body: bytes, *, timestamp: str | None, signature: str | None, now: float = NOW) -> str | None:
    return signature_problem(secret=SECRET, body=body, timestamp=timestamp, signature=signature, now=now, tolerance=300)


def test_a_fresh_signed_delivery_passes() -> None:
    body = b'{"external_id": "1"}'
    signature = sign(SECRET, str(NOW), body)
    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert check(body, timestamp=str(NOW), signature=signature) is None
    # The bare hex digest, in either case, is accepted too.
    assert check(body, timestamp=str(NOW), signature=signature.removeprefix("sha256=").upper()) is None


@pytest.mark.parametrize("offset", [301, -301, 86_400])
def test_a_stale_or_future_timestamp_is_refused_even_when_correctly_signed(offset: int) -> None:
    body = b"{}"
    sent = str(NOW - offset)
    problem = check(body, timestamp=sent, signature=sign(SECRET, sent, body))
    assert problem is not None and problem.startswith("stale delivery")


def test_the_tolerance_edge_is_still_fresh() -> None:
    sent = str(NOW - 300)
    assert check(b"{}", timestamp=sent, signature=sign(SECRET, sent, b"{}")) is None


def test_a_replayed_signature_with_a_fresh_timestamp_is_refused() -> None:
    body = b'{"external_id": "1"}'
    old_signature = sign(SECRET, str(NOW - 3600), body)
    assert check(body, timestamp=str(NOW), signature=old_signature) == "bad signature"


@pytest.mark.parametrize(
    ("body", "secret"), [(b'{"external_id": "2"}', SECRET), (b'{"external_id": "1"}', b"other secret")]
)
def test_a_tampered_body_or_wrong_secret_is_refused(body: bytes, secret: bytes) -> None:
    signature = sign(secret, str(NOW), body)
    assert check(b'{"external_id": "1"}', timestamp=str(NOW), signature=signature) == "bad signature"


@pytest.mark.parametrize(("timestamp", "signature"), [(None, "sha256=ab"), (str(NOW), None), ("", ""), (None, None)])
def test_missing_headers_are_named(timestamp: str | None, signature: str | None) -> None:
    assert check(b"{}", timestamp=timestamp, signature=signature) == (
        "missing X-Ops-Timestamp or X-Ops-Signature header"
    )


@pytest.mark.parametrize("timestamp", ["2026-11-23T10:00:00Z", "1.7e9", "soon"])
def test_a_timestamp_that_is_not_unix_seconds_is_refused(timestamp: str) -> None:
    assert check(b"{}", timestamp=timestamp, signature="sha256=00") == "X-Ops-Timestamp must be Unix seconds"


# --- bounds (issue 13) -----------------------------------------------------------------------------


@pytest.mark.parametrize("created_at", ["0002-01-01T00:00:00", "0001-01-01", "1999-12-31T23:59:00-03:00", "9999-12-31"])
def test_a_creation_time_outside_the_window_is_named(created_at: str) -> None:
    (problem,) = problems_of({"external_id": "1", "channel": "crm", "created_at": created_at})
    assert problem["field"] == "created_at"
    assert "is outside 2000-01-01 to" in problem["problem"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"external_id": "A\x00B", "channel": "crm"}, "external_id"),
        ({"external_id": "1", "channel": "crm", "subject": "sem\x00conexão"}, "subject"),
        ({"external_id": "1", "channel": "crm", "body": "linha\x1b[31m"}, "body"),
        ({"external_id": "1", "channel": "crm", "customer": {"name": "Ana\x00"}}, "customer.name"),
        ({"external_id": "1", "channel": "crm", "protocolo_crm": {"obs": ["ok", "nul\x00"]}}, "protocolo_crm.obs[1]"),
        ({"external_id": "1", "channel": "crm", "extra\x00key": 1}, "extra\x00key"),
        ({"external_id": "1\nsecond line", "channel": "crm"}, "external_id"),
    ],
)
def test_control_characters_are_refused_wherever_they_hide(data: dict[str, object], field: str) -> None:
    (problem,) = problems_of(data)
    assert problem["field"] == field
    assert "control character U+" in problem["problem"]


def test_line_breaks_and_tabs_stay_in_long_text() -> None:
    ticket = parse_ticket({"external_id": "1", "channel": "email", "subject": "a\tb", "body": "one\r\ntwo\tthree"})
    assert ticket.body == "one\r\ntwo\tthree"


def test_a_payload_nested_too_deep_is_named_not_a_recursion_error() -> None:
    deep: object = "leaf"
    for _ in range(500):
        deep = [deep]
    (problem,) = problems_of({"external_id": "1", "channel": "crm", "extra": deep})
    assert problem["field"].startswith("extra[0]")
    assert problem["problem"] == "nested deeper than 32 levels"


@pytest.mark.parametrize("followers", ["²", "١٢", "1e3", "99999999999999999999"])
def test_followers_are_ascii_digits_only(followers: str) -> None:
    (problem,) = problems_of({"external_id": "1", "channel": "x", "customer": {"followers": followers}})
    assert problem == {"field": "customer.followers", "problem": f"expected a non-negative integer, got {followers!r}"}

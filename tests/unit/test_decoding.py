"""What a decoder refused, in the sender's terms (ops.decoding): bodies that are not JSON (a 400 naming `body` and
what breaks it, a lone surrogate escape said as one), and msgspec's complaint about a value named by its field."""

from __future__ import annotations

import msgspec
import pytest

from ops import bounds
from ops.decoding import decode_json, located, lone_surrogate, refused_value, worded
from ops.errors import MalformedBodyError

# --- bodies ----------------------------------------------------------------------------------------


def test_decode_json_reads_utf8_json() -> None:
    assert decode_json('{"subject": "sem conexão"}'.encode()) == {"subject": "sem conexão"}
    assert decode_json(b'{"s": "\\ud83d\\ude00"}') == {"s": "\N{GRINNING FACE}"}  # a whole pair is a character


def test_bad_encoding_names_the_byte() -> None:
    with pytest.raises(MalformedBodyError) as caught:
        decode_json(b'{"subject": "sem conex\xe3o"}')
    assert caught.value.status_code == 400
    assert caught.value.extra == [{"field": "body", "problem": "not valid UTF-8 at byte 22"}]


@pytest.mark.parametrize("body", [b"", b"  \n\t"])
def test_an_empty_body_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedBodyError, match="body: empty"):
        decode_json(body)


@pytest.mark.parametrize("body", [b'{"a": 1', b"{'a': 1}", b'{"a": 1} trailing', b"nope"])
def test_malformed_json_is_a_400_not_a_422(body: bytes) -> None:
    with pytest.raises(MalformedBodyError, match="body: malformed JSON") as caught:
        decode_json(body)
    assert caught.value.status_code == 400
    assert caught.value.extra is not None
    assert caught.value.extra[0]["field"] == "body"


@pytest.mark.parametrize(
    ("body", "escape"),
    [
        (b'{"subject": "\\ud800"}', "\\ud800"),  # msgspec: "Input data was truncated"
        (b'{"subject": "a\\uD800b"}', "\\uD800"),  # as written
        (b'{"subject": "\\udc00"}', "\\udc00"),  # a low half alone: "invalid utf-16 surrogate pair"
        (b'{"subject": "\\ud800\\u0041"}', "\\ud800"),  # a high half followed by another character
        (b'["\\ud83d\\ude00", "\\udbff"]', "\\udbff"),  # a whole pair, then half of one
    ],
)
def test_a_lone_surrogate_escape_is_named_not_called_truncated(body: bytes, escape: str) -> None:
    with pytest.raises(MalformedBodyError) as caught:
        decode_json(body)
    problem = f"malformed JSON: a lone surrogate escape ({escape}) is not valid text"
    assert caught.value.extra == [{"field": "body", "problem": problem}]
    assert caught.value.message == f"body: {problem}"
    assert "truncated" not in caught.value.message


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('"\\\\ud800"', None),  # an escaped backslash, then the text "ud800"
        ('"\\\\\\ud800"', "\\ud800"),  # an escaped backslash, then an escape
        ('"\\ud83d\\ude00"', None),
        ('"\\ud83d \\ude00"', "\\ud83d"),  # the halves must be side by side
        ('"\\u00e7\\n"', None),
    ],
)
def test_lone_surrogate_reads_escapes_as_json_does(text: str, found: str | None) -> None:
    assert lone_surrogate(text) == found


def test_a_deep_json_body_is_a_400_not_a_crash() -> None:
    with pytest.raises(MalformedBodyError, match="nested too deeply"):
        decode_json(b"[" * 5000 + b"]" * 5000)


def test_a_body_merely_cut_short_keeps_msgspecs_words() -> None:
    with pytest.raises(MalformedBodyError) as caught:
        decode_json(b'{"origin":')
    assert caught.value.extra == [{"field": "body", "problem": "malformed JSON: Input data was truncated"}]


# --- values ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "path", "expected"),
    [
        ("Object missing required field `client`", "", ("client", "required")),
        ("Object missing required field `name`", "queues[0]", ("queues[0].name", "required")),
        ("Object contains unknown field `bogus`", "", ("bogus", "unknown field")),
        ("Object contains unknown field `x`", "queues[2].sla", ("queues[2].sla.x", "unknown field")),
        ("Object contains unknown field `a\ud933`", "", ("a\\ud933", "unknown field")),  # answerable as UTF-8
        (
            "Expected `float`, got `str`",
            "queues[0].sla.voice.target",
            ("queues[0].sla.voice.target", "Expected `float`, got `str`"),
        ),
    ],
)
def test_located_names_the_field_msgspec_put_in_its_message(message: str, path: str, expected: tuple[str, str]) -> None:
    assert located(message, path) == expected


class Queue(msgspec.Struct, forbid_unknown_fields=True):
    name: str


class Doc(msgspec.Struct, forbid_unknown_fields=True):
    queues: list[Queue]


def test_located_reads_msgspecs_own_errors() -> None:
    for data, field in (({"queues": [{}]}, "queues[0].name"), ({}, "queues"), ({"queues": [], "x": 1}, "x")):
        with pytest.raises(msgspec.ValidationError) as caught:
            msgspec.convert(data, Doc)
        message, _, path = str(caught.value).partition(" - at `$")
        assert located(message, path.rstrip("`").lstrip("."))[0] == field


@pytest.mark.parametrize(
    ("problem", "sent", "expected"),
    [
        ("Invalid RFC3339 encoded date", None, "not a valid date (YYYY-MM-DD)"),
        ("Invalid RFC3339 encoded date", "2026-02-30", "'2026-02-30' is not a valid date (YYYY-MM-DD)"),
        ("Invalid RFC3339 encoded datetime", None, "not a valid date and time (such as 2026-03-02T08:00:00-03:00)"),
        ("Expected `int`, got `str`", "lots", "'lots' is not a whole number"),
        ("Expected `bool`, got `str`", "maybe", "'maybe' is not true or false"),
        ("Expected `object`, got `array`", None, "expected an object, got an array"),
        ("Expected `str | null`, got `int`", None, "expected text or null, got a whole number"),
        ("Expected `int` >= 0", None, "Expected `int` >= 0"),  # a range says its bound as msgspec wrote it
        ("Invalid enum value 'x'", None, "Invalid enum value 'x'"),
    ],
)
def test_worded_says_what_a_sender_can_act_on(problem: str, sent: str | None, expected: str) -> None:
    assert worded(problem, sent) == expected


def test_refused_value_names_the_field_of_a_bound_and_the_body_itself() -> None:
    mark = f"{bounds.BOUND_MARK}week: 2026-03-03 is a Tuesday: a week starts on a Monday"
    assert refused_value(mark, "") == ("week", "2026-03-03 is a Tuesday: a week starts on a Monday")
    assert refused_value(mark, "plans[1]")[0] == "plans[1].week"
    assert refused_value("Expected `object`, got `array`", "") == ("body", "expected an object, got an array")
    assert refused_value("Expected `int`, got `str`", "limit", sent="lots") == ("limit", "'lots' is not a whole number")

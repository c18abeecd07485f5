"""What a decoder refused, said in the sender's terms: a body that is not JSON at all (a 400 naming `body` and what
breaks it), and msgspec's complaint about one value (the field as the sender wrote it, in words they can act on).

Pure: the app's error handlers, intake's own body reading and the contract file all call it, so the same mistake
reads the same wherever it is made.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from ops import bounds
from ops.errors import MalformedBodyError

# --- bodies that are not JSON ---------------------------------------------------------------------


def decode_json(body: bytes) -> Any:
    """The JSON of a request body; MalformedBodyError (400) names `body` and says what breaks it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed(f"not valid UTF-8 at byte {exc.start}") from None
    if not text.strip():
        raise _malformed("empty, expected JSON")
    try:
        return msgspec.json.decode(text)
    except RecursionError:
        raise _malformed("JSON nested too deeply") from None
    except msgspec.DecodeError as exc:
        # msgspec refuses half a surrogate pair ("\ud800") as "Input data was truncated" or "invalid utf-16
        # surrogate pair": true of its parser, misleading to a sender whose JSON is complete.
        if (escape := lone_surrogate(text)) is not None:
            raise _malformed(f"malformed JSON: a lone surrogate escape ({escape}) is not valid text") from None
        raise _malformed(f"malformed JSON: {exc}") from None


def _malformed(problem: str) -> MalformedBodyError:
    return MalformedBodyError(f"body: {problem}", extra=[{"field": "body", "problem": problem}])


# A backslash and what it escapes: "\\" is consumed whole, so the "u" of "\\ud800" (a backslash, then text) is not
# taken for an escape.
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.S)


def lone_surrogate(text: str) -> str | None:
    """The first \\uXXXX escape in JSON text that is half a UTF-16 surrogate pair without its other half (a high
    one not directly followed by a low one, or a low one alone), as it was written; None when there is none."""
    high: re.Match[str] | None = None
    for found in _ESCAPE.finditer(text):
        code = int(found.group(1), 16) if found.group(1) else None
        if high is not None:
            if code is not None and 0xDC00 <= code <= 0xDFFF and found.start() == high.end():
                high = None
                continue
            return high.group()
        if code is not None and 0xD800 <= code <= 0xDBFF:
            high = found
        elif code is not None and 0xDC00 <= code <= 0xDFFF:
            return found.group()
    return high.group() if high is not None else None


# --- a value msgspec refused ----------------------------------------------------------------------

_MISSING = re.compile(r"^Object missing required field `(?P<name>.*)`$", re.S)
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>.*)`$", re.S)


def located(message: str, path: str) -> tuple[str, str]:
    """(field, problem) of msgspec's `message` about the value at `path` (`queues[0]`; '' for the whole document).
    A missing or unknown field is named itself: msgspec puts its name in the message and its path at the object
    holding it, so a contract without `client` was refused naming no field at all."""
    for pattern, problem in ((_MISSING, "required"), (_UNKNOWN, "unknown field")):
        if (found := pattern.match(message)) is not None:
            name = bounds.shown(found.group("name"))
            return (f"{path}.{name}" if path else name), problem
    return path, message


_EXPECTED = re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`$")
_KINDS = {
    "int": "a whole number",
    "float": "a number",
    "decimal": "a decimal number such as 1234.56",
    "str": "text",
    "bool": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
    "date": "a date (YYYY-MM-DD)",
    "datetime": "a date and time such as 2026-03-02T08:00:00-03:00",
    "time": "a time (HH:MM:SS)",
    "uuid": "a UUID",
}
_INVALID = {
    "Invalid RFC3339 encoded date": "not a valid date (YYYY-MM-DD)",
    "Invalid RFC3339 encoded datetime": "not a valid date and time (such as 2026-03-02T08:00:00-03:00)",
    "Invalid RFC3339 encoded time": "not a valid time (HH:MM:SS)",
    "Invalid decimal string": "not a decimal number such as 1234.56",
    "Invalid UUID": "not a UUID",
}


def worded(problem: str, sent: str | None = None) -> str:
    """msgspec's words for a value of the wrong kind as a sender reads them ("Invalid RFC3339 encoded date" ->
    "not a valid date (YYYY-MM-DD)"), naming the text `sent` when a parameter carried it (every query value is
    text: "got `str`" would tell its sender nothing). Any other message is kept as msgspec wrote it."""
    said = f"{bounds.shown(sent[:80])!r} is " if sent is not None else ""
    if problem in _INVALID:
        return said + _INVALID[problem]
    if (found := _EXPECTED.match(problem)) is not None:
        want = " or ".join(_KINDS.get(kind, f"`{kind}`") for kind in found.group("want").split(" | "))
        if sent is not None:
            return f"{said}not {want}"
        got = found.group("got")
        return f"expected {want}, got {_KINDS.get(got, f'`{got}`')}"
    return problem


def refused_value(message: str, at: str, *, sent: str | None = None) -> tuple[str, str]:
    """(field, problem) of a value Litestar's decoder refused: `at` is where (a body path such as `queues[0]`, ''
    for the body itself, or a parameter's public name), `sent` the parameter's text when it came in the query.
    A breach of the bounds (`bounds.Bounded`) names its field through the mark its ValueError carries."""
    if message.startswith(bounds.BOUND_MARK):
        field, _, problem = message.removeprefix(bounds.BOUND_MARK).partition(": ")
        return (f"{at}.{field}" if at else field), problem
    field, problem = located(message, at)
    return field or "body", worded(problem, sent)

"""Protocol numbers: an optional fixed prefix, the day as YYYYMMDD and an 8-digit sequence of the day.

Every part has a fixed width, so with one prefix the strings sort by day, then sequence
(e.g. 2026112300000042 is the 42nd protocol of 23 Nov 2026). Uniqueness comes from the caller's
per-day counter; the day should be the contract's local date, the one the customer sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

SEQUENCE_DIGITS = 8
MAX_SEQUENCE = 10**SEQUENCE_DIGITS - 1
_PREFIX = re.compile(r"[A-Z0-9-]{0,16}")
_PROTOCOL = re.compile(rf"(?P<prefix>[A-Z0-9-]*?)(?P<day>\d{{8}})(?P<seq>\d{{{SEQUENCE_DIGITS}}})")


@dataclass(frozen=True, slots=True, order=True)
class Protocol:
    day: date
    seq: int
    prefix: str = ""

    def __str__(self) -> str:
        return format_protocol(self.day, self.seq, self.prefix)


def format_protocol(day: date, seq: int, prefix: str = "") -> str:
    """The protocol string; `seq` counts from 1 within the day."""
    if not 1 <= seq <= MAX_SEQUENCE:
        raise ValueError(f"sequence must be between 1 and {MAX_SEQUENCE}, got {seq}")
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"prefix must be up to 16 of A-Z, 0-9 and '-', got {prefix!r}")
    return f"{prefix}{day:%Y%m%d}{seq:0{SEQUENCE_DIGITS}d}"


def parse_protocol(text: str) -> Protocol:
    """The parts of a protocol string; the last 16 digits are always the day and the sequence."""
    cleaned = text.strip().upper()
    match = _PROTOCOL.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"not a protocol number: {text!r}")
    try:
        day = datetime.strptime(match["day"], "%Y%m%d").date()
    except ValueError:
        raise ValueError(f"not a protocol number: {text!r} has no valid date") from None
    seq = int(match["seq"])
    if seq < 1:
        raise ValueError(f"not a protocol number: {text!r} has sequence 0")
    return Protocol(day=day, seq=seq, prefix=match["prefix"])

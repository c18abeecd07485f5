"""Checks of the contract file's `break_reasons` section, registered with the contract loader at the root."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ops.contracts.schemas import BreakReason, ContractFile

_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
MAX_BREAK_MINUTES = 480


def check_break_reasons(reasons: Sequence[BreakReason], _contract: ContractFile | None = None) -> None:
    """Each reason a unique short code, a name, and a length (when given) of 1 to 480 minutes."""
    seen: set[str] = set()
    for i, reason in enumerate(reasons):
        at = f"break_reasons[{i}]"
        if not _CODE.fullmatch(reason.code):
            raise ValueError(f"{at}.code: {reason.code!r} must be 1-50 lowercase letters, digits, '-' or '_'")
        if reason.code in seen:
            raise ValueError(f"{at}.code: duplicate break reason {reason.code!r}")
        seen.add(reason.code)
        if not reason.name.strip() or len(reason.name) > 100:
            raise ValueError(f"{at}.name: give a name of 1 to 100 characters")
        if reason.max_minutes is not None and not 1 <= reason.max_minutes <= MAX_BREAK_MINUTES:
            raise ValueError(f"{at}.max_minutes: {reason.max_minutes} must be from 1 to {MAX_BREAK_MINUTES}")

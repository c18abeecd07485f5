"""Minutes an agent logs on a ticket: read exactly (never through float arithmetic), more than 0, at most a day."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ops.errors import InvalidInputError

MAX_MINUTES = Decimal(1440)  # 24 h: more on one action is a typo (hours typed as minutes), not work
PLACES = Decimal("0.01")  # the time_entries column keeps hundredths of a minute


def _refuse(problem: str, field: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {problem}", extra=[{"field": field, "problem": problem}])


def parse_minutes(value: object, field: str = "minutes") -> Decimal:
    """The minutes in `value` (a Decimal, an int, or text such as "12.5") as a Decimal with 2 places.

    A float is read through its shortest text (12.1 stays 12.1), as `ops.billing.money.to_decimal` does.
    Refuses (422 naming `field`) anything that is not a finite number, is 0 or less, is more than 1440, or
    has more than 2 decimals: nothing is rounded on the way in, since these minutes are billed."""
    if isinstance(value, bool):
        raise _refuse(f"expected a number of minutes, got {value!r}", field)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float | str):
        # No comma as a decimal mark: "1,440" means 1440 to some readers and 1.44 to others.
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise _refuse(f"{value!r} is not a number of minutes", field) from None
    else:
        raise _refuse(f"expected a number of minutes, got {type(value).__name__}", field)
    if not number.is_finite():
        raise _refuse(f"{value!r} is not a finite number", field)
    if number <= 0:
        raise _refuse(f"must be more than 0, got {number}", field)
    if number > MAX_MINUTES:
        raise _refuse(f"must be at most {MAX_MINUTES} (24 h), got {number}", field)
    exact = number.quantize(PLACES)
    if exact != number:
        raise _refuse(f"at most 2 decimals, got {number}", field)
    return exact

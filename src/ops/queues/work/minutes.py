"""Minutes an agent logs on a ticket: read exactly (never through float arithmetic), more than 0, at most a day."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ops.errors import InvalidInputError, Said


def N_(message: str) -> str:
    """Marks a msgid for the catalogue (as ops.l10n.N_, which a pure core does not import)."""
    return message


MAX_MINUTES = Decimal(1440)  # 24 h: more on one action is a typo (hours typed as minutes), not work
PLACES = Decimal("0.01")  # the time_entries column keeps hundredths of a minute


def _refuse(msgid: str, field: str, **values: object) -> InvalidInputError:
    """`msgid` names the field first ("{field}: ..."); the problem alone (in English) goes in `extra`."""
    said = Said(msgid, {"field": field, **values})
    return InvalidInputError(said, extra=[{"field": field, "problem": said.english().removeprefix(f"{field}: ")}])


def parse_minutes(value: object, field: str = "minutes") -> Decimal:
    """The minutes in `value` (a Decimal, an int, or text such as "12.5") as a Decimal with 2 places.

    A float is read through its shortest text (12.1 stays 12.1), as `ops.billing.money.to_decimal` does.
    Refuses (422 naming `field`) anything that is not a finite number, is 0 or less, is more than 1440, or
    has more than 2 decimals: nothing is rounded on the way in, since these minutes are billed."""
    if isinstance(value, bool):
        raise _refuse(N_("{field}: expected a number of minutes, got {value}"), field, value=repr(value))
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float | str):
        # No comma as a decimal mark: "1,440" means 1440 to some readers and 1.44 to others.
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise _refuse(N_("{field}: {value} is not a number of minutes"), field, value=repr(value)) from None
    else:
        raise _refuse(N_("{field}: expected a number of minutes, got {value}"), field, value=type(value).__name__)
    if not number.is_finite():
        raise _refuse(N_("{field}: {value} is not a finite number"), field, value=repr(value))
    if number <= 0:
        raise _refuse(N_("{field}: must be more than 0, got {number}"), field, number=str(number))
    if number > MAX_MINUTES:
        raise _refuse(
            N_("{field}: must be at most {most} (24 h), got {number}"), field, most=str(MAX_MINUTES), number=str(number)
        )
    exact = number.quantize(PLACES)
    if exact != number:
        raise _refuse(N_("{field}: at most 2 decimals, got {number}"), field, number=str(number))
    return exact

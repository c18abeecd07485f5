"""Money as Decimal: cents rounded half up, and amounts read from text or numbers without passing through float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENTS = Decimal("0.01")
PRICE_PLACES = Decimal("0.0001")  # unit prices keep 4 decimals
FACTOR_PLACES = Decimal("0.00000001")  # index factors keep 8 decimals (the contract asks for at least 6)


def cents(value: Decimal) -> Decimal:
    """An amount rounded to cents, half up (the rounding of every invoice line and tax)."""
    return value.quantize(CENTS, ROUND_HALF_UP)


def unit_price(value: Decimal) -> Decimal:
    """A unit price rounded to 4 decimals, half up."""
    return value.quantize(PRICE_PLACES, ROUND_HALF_UP)


def to_decimal(value: object, what: str) -> Decimal:
    """An exact Decimal from text, an int or a Decimal; a float is read through its shortest text form
    (0.1 stays 0.1). Refuses booleans, non-finite values and anything unreadable, naming `what`."""
    if isinstance(value, bool):
        raise ValueError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | float | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"{what}: {value!r} is not a number") from None
    else:
        raise ValueError(f"{what}: expected a number, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{what}: {value!r} is not a finite number")
    return result

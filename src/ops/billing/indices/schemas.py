"""The shapes of index series and readjustments at the edge: the API's bodies and answers, and `--json` output."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

import msgspec

from ops import bounds

ValueStatus = Literal["new", "unchanged", "revised"]


class IndexValueIn(bounds.Bounded, forbid_unknown_fields=True):
    """One month entered by hand: the change in percent (0.52 means +0.52 %) and where it was read."""

    pct: Decimal
    source: str | None = None


class IndexValueOut(msgspec.Struct):
    month: str  # YYYY-MM
    pct: Decimal
    source: str
    recorded_at: str
    recorded_by: str


class RevisionOut(msgspec.Struct):
    """A published value that changed: both kept, with where the new one came from and who recorded it."""

    index: str
    month: str
    old_pct: Decimal
    new_pct: Decimal
    source: str = ""
    recorded_at: str = ""
    recorded_by: str = ""


class SeriesOut(msgspec.Struct):
    index: str
    values: list[IndexValueOut]
    revisions: list[RevisionOut]


class SetValueOut(msgspec.Struct):
    index: str
    month: str
    pct: Decimal
    status: ValueStatus
    old_pct: Decimal | None = None


class ImportResult(msgspec.Struct):
    """What an import did: months added, left as they were, and revised (each revision listed)."""

    indices: list[str]
    new: int
    unchanged: int
    revised: int
    revisions: list[RevisionOut]


class ComponentOut(msgspec.Struct):
    """A term of a weighted formula as computed (`index_used` is its fallback when its window had a gap)."""

    source: str
    weight: Decimal
    factor: Decimal
    index_used: str
    months: list[str]


class EarlierOut(msgspec.Struct):
    """A readjustment already applied before this anniversary, whose factor the new prices compound."""

    anniversary: date
    index: str
    factor: Decimal


class PriceChangeOut(msgspec.Struct):
    """One unit price: the contract file's base, the price in force the day before, and the one from `anniversary`."""

    item: str
    base: Decimal
    current: Decimal
    new: Decimal


class ReadjustPreview(msgspec.Struct):
    """A contract's readjustment on one anniversary, as it would be applied (`preview`) or as it was (`applied`).

    `factor` multiplies this year's prices (`raw_factor` before the zero floor); new prices are the base price times
    every factor up to this one (`cumulative_factor`, shown to 8 decimals; the prices use the exact product)."""

    contract: str
    client: str
    currency: str
    anniversary: date
    status: Literal["preview", "applied"]
    rule_index: str
    index: str
    months: list[str]
    factor: Decimal
    raw_factor: Decimal
    cumulative_factor: Decimal
    floored: bool
    fallback_used: bool
    notes: list[str]
    components: list[ComponentOut]
    earlier: list[EarlierOut]
    prices: list[PriceChangeOut]
    applied_at: str | None = None
    applied_by: str | None = None
    already_applied: bool = False


class OverpaidLineIn(bounds.Bounded, forbid_unknown_fields=True):
    """An amount paid and not owed: `amount` as text (1234.56 or 1.234,56) or a whole number, `paid_on` YYYY-MM-DD
    or DD/MM/YYYY, `doubled` null for the contract's default (false: a justifiable error, refunded once)."""

    __multiline__ = frozenset({"description"})
    __amounts__ = frozenset({"amount"})

    description: str
    paid_on: str
    amount: str | int
    doubled: bool | None = None


class RecoveryIn(bounds.Bounded, forbid_unknown_fields=True):
    lines: list[OverpaidLineIn]
    route: Literal["administrative", "judicial"] = "administrative"
    on: str | None = None  # YYYY-MM-DD; today in the contract's time zone when absent

"""Invoice totals under Brazilian service taxes: ISS on the services, taxes withheld at source, the net payable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NamedTuple, get_args

from ops.billing.money import cents, to_decimal

WithholdingCode = Literal["IRRF", "CSRF", "INSS"]
CODES: tuple[str, ...] = get_args(WithholdingCode)
ZERO = Decimal("0.00")


def _check_rate(rate: object, path: str) -> None:
    if not isinstance(rate, Decimal) or not rate.is_finite() or not 0 <= rate < 1:
        raise ValueError(f"{path}: must be in [0, 1), got {rate!r}")


@dataclass(frozen=True)
class Withholding:
    """A tax the client withholds at source from the invoice's gross amount and pays on the provider's behalf.

    CSRF is the federal contributions PIS, COFINS and CSLL together (0.65 + 3 + 1 = 4.65 %).
    """

    code: WithholdingCode
    rate: Decimal
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"code: must be one of {', '.join(CODES)}, not {self.code!r}")
        _check_rate(self.rate, f"withholdings.{self.code.lower()}.rate")


# The defaults when a contract says nothing; a contract file overrides each one. IRRF 1.5 % is the rate for
# services paid by one company to another under RIR/2018 art. 714, the reading usual for BPO services.
# CSRF 4.65 % (Lei 10.833/2003 art. 30) applies to the same kind of payments. INSS 11 % (Lei 8.212/1991
# art. 31) applies only when the work is labour assigned to the client (cessão de mão de obra or
# empreitada), which depends on the contract's terms: off unless it says so. Not modelled: the minimum
# amounts under which nothing is withheld, and deductions from the INSS base (materials, equipment).
DEFAULT_WITHHOLDINGS: tuple[Withholding, ...] = (
    Withholding("IRRF", Decimal("0.015")),
    Withholding("CSRF", Decimal("0.0465")),
    Withholding("INSS", Decimal("0.11"), enabled=False),
)


@dataclass(frozen=True)
class TaxTerms:
    """A contract's tax terms. ISS has no default: its rate is the municipality's (2 % to 5 %)."""

    iss_rate: Decimal
    prices_include_taxes: bool = False
    withholdings: tuple[Withholding, ...] = DEFAULT_WITHHOLDINGS

    def __post_init__(self) -> None:
        _check_rate(self.iss_rate, "taxes.iss_rate")
        codes = [w.code for w in self.withholdings]
        if len(set(codes)) != len(codes):
            raise ValueError(f"withholdings: a tax is listed twice ({', '.join(codes)})")


class WithheldTax(NamedTuple):
    code: WithholdingCode
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    """What the invoice shows: services, ISS, the gross total, each tax withheld and the net payable.

    With `iss_included` the ISS is part of the services' prices and shown for information only.
    """

    services: Decimal
    iss: Decimal
    iss_included: bool
    gross: Decimal
    withholdings: tuple[WithheldTax, ...]
    withheld: Decimal
    net: Decimal


def invoice_totals(lines_total: Decimal, terms: TaxTerms) -> InvoiceTotals:
    """Totals of an invoice for services worth `lines_total` (the measurement's total, in cents).

    ISS and each withholding are rounded half up to cents once, on the exact total (not line by line),
    as the fiscal document (NFS-e) computes them; disabled withholdings are left out.
    """
    if not isinstance(lines_total, Decimal) or not lines_total.is_finite() or cents(lines_total) != lines_total:
        raise ValueError(f"lines_total: must be a Decimal amount in cents, got {lines_total!r}")
    if lines_total < 0:
        # A negative total is a credit note, a different document with no taxes withheld.
        raise ValueError(f"lines_total: an invoice cannot be negative, got {lines_total}")
    services = cents(lines_total)
    if terms.prices_include_taxes:
        gross = services
        iss = cents(gross * terms.iss_rate)
    else:
        iss = cents(services * terms.iss_rate)
        gross = services + iss
    withheld = tuple(WithheldTax(w.code, w.rate, cents(gross * w.rate)) for w in terms.withholdings if w.enabled)
    total_withheld = sum((w.amount for w in withheld), ZERO)
    return InvoiceTotals(
        services=services,
        iss=iss,
        iss_included=terms.prices_include_taxes,
        gross=gross,
        withholdings=withheld,
        withheld=total_withheld,
        net=gross - total_withheld,
    )


# --- the contract file's section ---------------------------------------------------------------
#
# billing:
#   taxes:
#     iss_rate: 0.05               # required: the municipality's rate
#     prices_include_taxes: false  # default false: ISS is added on top of the prices
#   withholdings:                  # optional; each tax left out keeps its default
#     irrf: {rate: 0.015, enabled: true}
#     csrf: {rate: 0.0465, enabled: true}
#     inss: {rate: 0.11, enabled: false}

_TAX_KEYS = frozenset({"iss_rate", "prices_include_taxes"})
_WITHHOLDING_KEYS = frozenset({"rate", "enabled"})


def _mapping(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{path}: must be a mapping of fields")
    return value


def _no_extra(value: Mapping[str, object], allowed: frozenset[str], path: str) -> None:
    extra = sorted(set(value) - allowed)
    if extra:
        raise ValueError(f"{path}.{extra[0]}: unknown field (allowed: {', '.join(sorted(allowed))})")


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{path}: must be true or false, got {value!r}")
    return value


def _rate(value: object, path: str) -> Decimal:
    rate = to_decimal(value, path)
    _check_rate(rate, path)
    return rate


def parse_tax_terms(data: Mapping[str, object]) -> TaxTerms:
    """TaxTerms from a contract file's `billing` section (the mapping under the `billing` key).

    Only `taxes` and `withholdings` are read; other keys of the section belong to other readers. Every
    ValueError message starts with the path of the field at fault, e.g. "billing.taxes.iss_rate: ...".
    """
    billing = _mapping(data, "billing")
    if "taxes" not in billing:
        raise ValueError("billing.taxes: missing (at least iss_rate)")
    taxes = _mapping(billing["taxes"], "billing.taxes")
    _no_extra(taxes, _TAX_KEYS, "billing.taxes")
    if "iss_rate" not in taxes:
        raise ValueError("billing.taxes.iss_rate: missing (the municipality's ISS rate, e.g. 0.05)")
    iss_rate = _rate(taxes["iss_rate"], "billing.taxes.iss_rate")
    included = _bool(taxes.get("prices_include_taxes", False), "billing.taxes.prices_include_taxes")

    given = _mapping(billing.get("withholdings", {}), "billing.withholdings")
    by_code = {w.code.lower(): w for w in DEFAULT_WITHHOLDINGS}
    _no_extra(given, frozenset(by_code), "billing.withholdings")
    withholdings = []
    for key, default in by_code.items():
        path = f"billing.withholdings.{key}"
        entry = _mapping(given.get(key, {}), path)
        _no_extra(entry, _WITHHOLDING_KEYS, path)
        rate = _rate(entry["rate"], f"{path}.rate") if "rate" in entry else default.rate
        enabled = _bool(entry.get("enabled", default.enabled), f"{path}.enabled")
        withholdings.append(Withholding(default.code, rate, enabled))
    return TaxTerms(iss_rate, included, tuple(withholdings))

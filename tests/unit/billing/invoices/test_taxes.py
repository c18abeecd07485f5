"""Invoice totals: ISS on top of or inside the prices, withholdings at source, the net payable; the contract section."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

import pytest
import yaml

from ops.billing.invoices.taxes import (
    DEFAULT_WITHHOLDINGS,
    InvoiceTotals,
    TaxTerms,
    WithheldTax,
    Withholding,
    invoice_totals,
    parse_tax_terms,
)

D = Decimal


def test_defaults_are_irrf_and_csrf_on_and_inss_off() -> None:
    irrf, csrf, inss = DEFAULT_WITHHOLDINGS
    assert irrf == Withholding("IRRF", D("0.015"), True)
    assert csrf == Withholding("CSRF", D("0.0465"), True)  # PIS 0.65 % + COFINS 3 % + CSLL 1 %
    assert inss == Withholding("INSS", D("0.11"), False)


def test_a_worked_invoice_with_iss_added_on_top() -> None:
    # The measurement of test_measurement's anniversary period (actual days): 167785.49.
    totals = invoice_totals(D("167785.49"), TaxTerms(iss_rate=D("0.05")))
    # ISS 5 %: 167785.49 × 0.05 = 8389.2745 -> 8389.27; gross = 167785.49 + 8389.27 = 176174.76
    # IRRF 1.5 % of the gross: 176174.76 × 0.015 = 2642.6214 -> 2642.62
    # CSRF 4.65 %: 176174.76 × 0.04 = 7046.9904, × 0.0065 = 1145.13594; 8192.12634 -> 8192.13
    # INSS is off. Withheld: 2642.62 + 8192.13 = 10834.75; net: 176174.76 - 10834.75 = 165340.01
    assert totals == InvoiceTotals(
        services=D("167785.49"),
        iss=D("8389.27"),
        iss_included=False,
        gross=D("176174.76"),
        withholdings=(
            WithheldTax("IRRF", D("0.015"), D("2642.62")),
            WithheldTax("CSRF", D("0.0465"), D("8192.13")),
        ),
        withheld=D("10834.75"),
        net=D("165340.01"),
    )


def test_a_worked_invoice_with_taxes_inside_the_prices_and_inss_withheld() -> None:
    terms = TaxTerms(
        iss_rate=D("0.02"),
        prices_include_taxes=True,
        withholdings=(
            Withholding("IRRF", D("0.015")),
            Withholding("CSRF", D("0.0465")),
            Withholding("INSS", D("0.11")),
        ),
    )
    totals = invoice_totals(D("123456.78"), terms)
    # The gross is the services; ISS 2 % is inside it: 123456.78 × 0.02 = 2469.1356 -> 2469.14 (informational)
    assert (totals.services, totals.gross, totals.iss, totals.iss_included) == (
        D("123456.78"),
        D("123456.78"),
        D("2469.14"),
        True,
    )
    # IRRF: 123456.78 × 0.015 = 1851.8517 -> 1851.85
    # CSRF: 123456.78 × 0.0465 = 4938.2712 + 802.46907 = 5740.74027 -> 5740.74
    # INSS: 123456.78 × 0.11 = 13580.2458 -> 13580.25
    assert [(w.code, w.amount) for w in totals.withholdings] == [
        ("IRRF", D("1851.85")),
        ("CSRF", D("5740.74")),
        ("INSS", D("13580.25")),
    ]
    # withheld: 1851.85 + 5740.74 + 13580.25 = 21172.84; net: 123456.78 - 21172.84 = 102283.94
    assert (totals.withheld, totals.net) == (D("21172.84"), D("102283.94"))


def test_iss_is_rounded_half_up_once_on_the_exact_total() -> None:
    # 10.10 × 0.05 = 0.505 -> 0.51 (half up; banker's rounding would give 0.50)
    assert invoice_totals(D("10.10"), TaxTerms(D("0.05"), withholdings=())).iss == D("0.51")
    # Three lines of 3.33 at 2 %: 0.0666 each would round to 0.07 (0.21 in all); on the total,
    # 9.99 × 0.02 = 0.1998 -> 0.20.
    totals = invoice_totals(D("9.99"), TaxTerms(D("0.02"), withholdings=()))
    assert (totals.iss, totals.gross, totals.net) == (D("0.20"), D("10.19"), D("10.19"))


def test_withholdings_are_rounded_half_up_on_the_gross() -> None:
    # gross 1.00 (ISS at 0 %): a 0.5 % withholding is 0.005 -> 0.01 half up, net 1.00 - 0.01 = 0.99
    totals = invoice_totals(D("1.00"), TaxTerms(D(0), withholdings=(Withholding("IRRF", D("0.005")),)))
    assert totals.withholdings == (WithheldTax("IRRF", D("0.005"), D("0.01")),)
    assert totals.net == D("0.99")


def test_a_zero_invoice_is_all_zeros() -> None:
    totals = invoice_totals(D("0.00"), TaxTerms(D("0.05")))
    assert (totals.iss, totals.gross, totals.withheld, totals.net) == (D(0), D(0), D(0), D(0))


@pytest.mark.parametrize("total", [D("-0.01"), D("10.001"), 10.0, D("NaN")])
def test_a_bad_lines_total_is_refused(total: object) -> None:
    with pytest.raises(ValueError, match=r"^lines_total: "):
        invoice_totals(total, TaxTerms(D("0.05")))  # type: ignore[arg-type]


def test_tax_terms_are_checked() -> None:
    with pytest.raises(ValueError, match=r"^taxes.iss_rate: must be in \[0, 1\)"):
        TaxTerms(D(1))
    with pytest.raises(ValueError, match=r"^withholdings.irrf.rate: must be in \[0, 1\)"):
        Withholding("IRRF", D("-0.01"))
    with pytest.raises(ValueError, match=r"^withholdings: a tax is listed twice"):
        TaxTerms(D("0.05"), withholdings=(Withholding("IRRF", D("0.015")), Withholding("IRRF", D("0.01"))))
    with pytest.raises(ValueError, match=r"^code: "):
        Withholding("PIS", D("0.0065"))  # type: ignore[arg-type]


# --- the contract file's section ---------------------------------------------------------------

SECTION = """
billing:
  taxes:
    iss_rate: 0.029
    prices_include_taxes: true
  withholdings:
    irrf: {rate: 0.01, enabled: true}
    csrf: {enabled: false}
    inss: {enabled: true}
"""


def test_the_contract_section_is_read_exactly() -> None:
    data = yaml.safe_load(SECTION)["billing"]
    assert parse_tax_terms(data) == TaxTerms(
        iss_rate=D("0.029"),  # a YAML float read through its text: exactly 0.029
        prices_include_taxes=True,
        withholdings=(
            Withholding("IRRF", D("0.01"), True),
            Withholding("CSRF", D("0.0465"), False),  # rate left out: the default
            Withholding("INSS", D("0.11"), True),
        ),
    )


def test_a_section_with_only_the_iss_rate_takes_the_defaults() -> None:
    terms = parse_tax_terms({"taxes": {"iss_rate": "0.05"}, "cutoff_day": 20})
    assert terms == TaxTerms(D("0.05"), False, DEFAULT_WITHHOLDINGS)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"taxes": {"iss_rate": 0.05}, "withholdings": {"inss": {"rate": 1}}},
            "billing.withholdings.inss.rate: must be in [0, 1)",
        ),
        (
            {"taxes": {"iss_rate": 0.05}, "withholdings": {"inss": {"rate": -0.11}}},
            "billing.withholdings.inss.rate: must be in [0, 1)",
        ),
        (
            {"taxes": {"iss_rate": 0.05}, "withholdings": {"irrf": {"rate": "abc"}}},
            "billing.withholdings.irrf.rate: 'abc' is not a number",
        ),
        (
            {"taxes": {"iss_rate": 0.05}, "withholdings": {"irrf": {"rate": None}}},
            "billing.withholdings.irrf.rate: expected a number",
        ),
        (
            {"taxes": {"iss_rate": 0.05}, "withholdings": {"irrf": {"enabled": 1}}},
            "billing.withholdings.irrf.enabled: must be true or false",
        ),
        (
            {"taxes": {"iss_rate": 0.05}, "withholdings": {"irrf": {"rates": 0.01}}},
            "billing.withholdings.irrf.rates: unknown field",
        ),
        (
            {"taxes": {"iss_rate": 0.05}, "withholdings": {"pis": {"rate": 0.0065}}},
            "billing.withholdings.pis: unknown field",
        ),
        (
            {"taxes": {"iss_rate": 0.05}, "withholdings": {"irrf": 0.015}},
            "billing.withholdings.irrf: must be a mapping",
        ),
        ({"taxes": {"iss_rate": 0.05}, "withholdings": [{"irrf": 0.015}]}, "billing.withholdings: must be a mapping"),
        ({"taxes": {"iss_rate": 1.5}}, "billing.taxes.iss_rate: must be in [0, 1)"),
        ({"taxes": {"iss_rate": True}}, "billing.taxes.iss_rate: expected a number"),
        ({"taxes": {"iss_rate": float("inf")}}, "billing.taxes.iss_rate: inf is not a finite number"),
        ({"taxes": {"prices_include_taxes": False}}, "billing.taxes.iss_rate: missing"),
        (
            {"taxes": {"iss_rate": 0.05, "prices_include_taxes": "yes"}},
            "billing.taxes.prices_include_taxes: must be true or false",
        ),
        ({"taxes": {"iss_rate": 0.05, "iss": 0.05}}, "billing.taxes.iss: unknown field"),
        ({"taxes": 0.05}, "billing.taxes: must be a mapping"),
        ({"withholdings": {}}, "billing.taxes: missing"),
        ([], "billing: must be a mapping"),
    ],
)
def test_a_bad_section_is_refused_naming_the_field(data: Mapping[str, object], message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse_tax_terms(data)

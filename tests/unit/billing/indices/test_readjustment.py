"""Readjustment: windows, factors pinned to the real IPCA/IGP-M series, fallback, formulas, compounding, rules."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import yaml

from ops.billing.indices.readjustment import (
    DEFAULT_LAG,
    Component,
    MissingIndexMonth,
    ReadjustmentRule,
    anniversaries,
    compounded_price,
    index_factor,
    parse_rule,
    readjust,
    window,
)
from ops.billing.indices.series import series_by_index
from ops.billing.money import unit_price
from tests.conftest import FIXTURES
from tests.unit.billing.indices.reading import read_series_file

FIXTURE = FIXTURES / "br_ipca_igpm_monthly_2015-2026.csv"
SERIES = series_by_index(read_series_file(FIXTURE))
D = Decimal


def months(first: date, count: int) -> list[date]:
    return [date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1) for i in range(count)]


def flat(first: date, count: int, pct: str = "0") -> dict[date, Decimal]:
    return dict.fromkeys(months(first, count), D(pct))


# --- windows -------------------------------------------------------------------------------------------------------


def test_default_windows_on_a_march_anniversary() -> None:
    # IGP-M is out at the end of the month it measures: on 2027-03-01 February is the last one published.
    assert window(date(2027, 3, 1), DEFAULT_LAG["IGP-M"]) == months(date(2026, 3, 1), 12)
    # IPCA and INPC come out around the 10th of the next month: on 2027-03-01 January is the last one.
    assert window(date(2027, 3, 1), DEFAULT_LAG["IPCA"]) == months(date(2026, 2, 1), 12)
    assert window(date(2027, 3, 1), DEFAULT_LAG["INPC"]) == months(date(2026, 2, 1), 12)
    assert window(date(2027, 3, 15), 1)[0] == date(2026, 3, 1)


def test_readjust_uses_the_default_window_of_its_index() -> None:
    igpm = readjust(ReadjustmentRule("IGP-M", date(2026, 3, 1)), date(2026, 3, 1), SERIES)
    ipca = readjust(ReadjustmentRule("IPCA", date(2026, 3, 1)), date(2026, 3, 1), SERIES)
    assert (igpm.months[0], igpm.months[-1]) == (date(2025, 3, 1), date(2026, 2, 1))
    assert (ipca.months[0], ipca.months[-1]) == (date(2025, 2, 1), date(2026, 1, 1))
    explicit = readjust(ReadjustmentRule("IPCA", date(2026, 3, 1), lag_months=1), date(2026, 3, 1), SERIES)
    assert explicit.months[-1] == date(2026, 2, 1)


def test_negative_lag_is_refused() -> None:
    with pytest.raises(ValueError, match="lag_months"):
        window(date(2027, 3, 1), -1)


# --- factors pinned to the real series -----------------------------------------------------------------------------


def test_igpm_2021_factor() -> None:
    # A January anniversary with IGP-M's lag 1 reads January..December of the year before.
    result = readjust(ReadjustmentRule("IGP-M", date(2022, 1, 1)), date(2022, 1, 1), SERIES)
    assert result.months == tuple(months(date(2021, 1, 1), 12))
    # 2021 by month: 2.58 2.53 2.94 1.51 4.10 0.60 0.78 0.66 -0.64 0.64 0.02 0.87; running product:
    # 1.0258, 1.05175274, 1.08267427, 1.09902265, 1.14408258, 1.15094708, 1.15992446, 1.16757996,
    # 1.16010745, 1.16753214, 1.16776565, 1.17792521 -> FGV's published 17.78 % for 2021.
    assert result.factor.quantize(D("0.000001")) == D("1.177925")
    assert result.factor == D("1.17792521")
    assert (result.index, result.floored, result.fallback_used) == ("IGP-M", False, False)


def test_igpm_2023_deflation_lowers_prices_unless_floored() -> None:
    # 2023 by month: 0.21 -0.06 0.05 -0.95 -1.84 -1.93 -0.72 -0.14 0.37 0.50 0.59 0.74; running product:
    # 1.0021, 1.00149874, 1.00199949, 0.99248049, 0.97421885, 0.95541643, 0.94853743, 0.94720948,
    # 0.95071415, 0.95546772, 0.96110498, 0.96821716 -> the published -3.18 %.
    falls = readjust(ReadjustmentRule("IGP-M", date(2024, 1, 1)), date(2024, 1, 1), SERIES)
    assert falls.factor.quantize(D("0.000001")) == D("0.968217")
    assert not falls.floored
    # 240.0000 an hour x 0.96821716 = 232.3721184 -> 232.3721: the price falls.
    assert compounded_price(D("240.0000"), [falls.factor]) == D("232.3721")

    rule = ReadjustmentRule("IGP-M", date(2024, 1, 1), floor_zero=True)
    kept = readjust(rule, date(2024, 1, 1), SERIES)
    assert kept.factor == D(1)
    assert str(kept.factor) == "1"  # exactly one, not 1.00000001 nor 0.99999999
    assert kept.raw_factor == D("0.96821716")
    assert kept.floored
    assert "floor" in kept.note
    assert compounded_price(D("240.0000"), [kept.factor]) == D("240.0000")


def test_three_years_compound_from_the_base_price_rounding_once() -> None:
    rule = ReadjustmentRule("IGP-M", date(2022, 1, 1))
    factors = [readjust(rule, on, SERIES).factor for on in anniversaries(rule.anniversary, date(2024, 12, 31))]
    # IGP-M 2021, 2022 and 2023 (2022: 1.82 1.83 1.74 1.41 0.52 0.59 0.21 -0.70 -0.95 -0.97 -0.56 0.45).
    assert factors == [D("1.17792521"), D("1.05458422"), D("0.96821716")]
    # Once: 1.17792521 x 1.05458422 = 1.2422213388...; x 0.96821716 = 1.2027400167...;
    # x 240 = 288.65760402... -> 288.6576.
    assert compounded_price(D("240.0000"), factors) == D("288.6576")
    # Year by year on the rounded price: 240 x 1.17792521 = 282.70205040 -> 282.7021;
    # x 1.05458422 = 298.13317362... -> 298.1332; x 0.96821716 = 288.65768020... -> 288.6577: a drift of 0.0001.
    naive = D("240.0000")
    for factor in factors:
        naive = unit_price(naive * factor)
    assert naive == D("288.6577")


def test_single_rounding_where_year_by_year_drifts_by_a_whole_unit() -> None:
    # 1.0000 x 1.00005 = 1.00005 -> 1.0001 (half up); 1.0001 x 1.00005 = 1.000150005 -> 1.0002.
    # Once: 1.00005 x 1.00005 = 1.0001000025 -> 1.0001.
    assert compounded_price(D("1.0000"), [D("1.00005"), D("1.00005")]) == D("1.0001")
    assert compounded_price(D("4.00"), []) == D("4.0000")


# --- missing months and fallback ------------------------------------------------------------------------------------


def test_index_factor_names_every_missing_month() -> None:
    series = flat(date(2021, 1, 1), 12, "1")
    del series[date(2021, 3, 1)], series[date(2021, 7, 1)]
    with pytest.raises(MissingIndexMonth) as caught:
        index_factor(series, months(date(2021, 1, 1), 12), index="IGP-M")
    assert str(caught.value) == "IGP-M: no published value for 2021-03, 2021-07"
    assert caught.value.months == (date(2021, 3, 1), date(2021, 7, 1))


def test_readjust_without_fallback_refuses_a_gap_rather_than_using_one() -> None:
    series = {"IPCA": {month: pct for month, pct in SERIES["IPCA"].items() if month != date(2025, 6, 1)}}
    with pytest.raises(MissingIndexMonth, match=r"^IPCA: no published value for 2025-06$"):
        readjust(ReadjustmentRule("IPCA", date(2026, 3, 1)), date(2026, 3, 1), series)


def test_fallback_is_used_when_the_main_index_misses_a_month() -> None:
    igpm = {month: pct for month, pct in SERIES["IGP-M"].items() if month != date(2025, 7, 1)}
    series = {"IGP-M": igpm, "IPCA": SERIES["IPCA"]}
    rule = ReadjustmentRule("IGP-M", date(2026, 3, 1), fallback="IPCA")
    result = readjust(rule, date(2026, 3, 1), series)
    # IPCA with its own lag 2, February 2025 .. January 2026:
    # 1.31 0.56 0.43 0.26 0.24 0.26 -0.11 0.48 0.09 0.18 0.33 0.33; running product 1.0131, 1.01877336,
    # 1.02315409, 1.02581429, 1.02827624, 1.03094976, 1.02981571, 1.03475883, 1.03569011, 1.03755435,
    # 1.04097828, 1.04441351 -> 4.44 %.
    assert result.factor == D("1.04441351")
    assert (result.index, result.fallback_used) == ("IPCA", True)
    assert result.months == tuple(months(date(2025, 2, 1), 12))
    assert "fallback IPCA (2025-02..2026-01)" in result.note
    assert "IGP-M: no published value for 2025-07" in result.note


def test_fallback_is_not_used_when_the_main_index_is_complete() -> None:
    rule = ReadjustmentRule("IGP-M", date(2026, 3, 1), fallback="IPCA")
    result = readjust(rule, date(2026, 3, 1), SERIES)
    assert (result.index, result.fallback_used, result.note) == ("IGP-M", False, "")


def test_missing_in_both_main_and_fallback_names_both() -> None:
    series = {"IGP-M": flat(date(2025, 3, 1), 11), "IPCA": flat(date(2025, 2, 1), 11)}
    rule = ReadjustmentRule("IGP-M", date(2026, 3, 1), fallback="IPCA")
    with pytest.raises(MissingIndexMonth) as caught:
        readjust(rule, date(2026, 3, 1), series)
    message = str(caught.value)
    assert message == "IGP-M: no published value for 2026-02; fallback IPCA: no published value for 2026-01"


# --- weighted formula -----------------------------------------------------------------------------------------------

LABOUR = ReadjustmentRule(
    "formula", date(2026, 3, 1), weights=(Component("cct_sinttel", D("0.7")), Component("IPCA", D("0.3")))
)


def test_weighted_formula_seventy_percent_agreement_thirty_percent_ipca() -> None:
    ipca = flat(date(2025, 2, 1), 12)
    ipca[date(2025, 8, 1)] = D("4")  # one month of 4 %, the others 0: IPCA factor 1.04
    series = {"IPCA": ipca, "cct_sinttel": {date(2026, 3, 1): D("6")}}
    result = readjust(LABOUR, date(2026, 3, 1), series)
    # 1 + 0.7 x (1.06 - 1) + 0.3 x (1.04 - 1) = 1 + 0.042 + 0.012 = 1.054
    assert result.factor == D("1.054")
    assert [(term.source, term.factor) for term in result.components] == [
        ("cct_sinttel", D("1.06")),
        ("IPCA", D("1.04")),
    ]
    assert result.index == "formula"


def test_weighted_formula_on_the_real_ipca() -> None:
    series = {"IPCA": SERIES["IPCA"], "cct_sinttel": {date(2026, 3, 1): D("6.5")}}
    result = readjust(LABOUR, date(2026, 3, 1), series)
    # IPCA Feb 2025..Jan 2026 = 1.04441351 (see the fallback test); 1 + 0.7 x 0.065 + 0.3 x 0.04441351
    # = 1 + 0.0455 + 0.013324053 = 1.058824053 -> 1.05882405
    assert result.factor == D("1.05882405")
    assert result.components[1].months == tuple(months(date(2025, 2, 1), 12))


def test_a_formula_term_with_a_gap_takes_the_fallback() -> None:
    rule = ReadjustmentRule(
        "formula",
        date(2026, 3, 1),
        fallback="IPCA",
        weights=(Component("cct_sinttel", D("0.5")), Component("IGP-M", D("0.5"))),
    )
    igpm = flat(date(2025, 3, 1), 12)
    del igpm[date(2025, 9, 1)]
    ipca = flat(date(2025, 2, 1), 12)
    ipca[date(2025, 2, 1)] = D("2")  # IPCA factor 1.02
    series = {"IGP-M": igpm, "IPCA": ipca, "cct_sinttel": {date(2026, 3, 1): D("5")}}
    result = readjust(rule, date(2026, 3, 1), series)
    # 1 + 0.5 x 0.05 + 0.5 x 0.02 = 1.035
    assert result.factor == D("1.035")
    assert result.fallback_used
    assert [(term.source, term.index_used) for term in result.components] == [
        ("cct_sinttel", "cct_sinttel"),
        ("IGP-M", "IPCA"),
    ]
    assert "IGP-M: no published value for 2025-09" in result.note


def test_a_missing_agreement_is_never_guessed() -> None:
    with pytest.raises(MissingIndexMonth, match=r"^agreement cct_sinttel: no published value for 2026-03$"):
        readjust(LABOUR, date(2026, 3, 1), {"IPCA": SERIES["IPCA"]})


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ((("cct_a", "0.7"), ("IPCA", "0.2")), "formula: weights sum to 0.9, must sum to 1"),
        ((("cct_a", "0.7"), ("IPCA", "0.3"), ("INPC", "0")), r"formula\[2\].weight: must be in \(0, 1\]"),
        ((("cct_a", "1.5"), ("IPCA", "-0.5")), r"formula\[0\].weight: must be in \(0, 1\]"),
        ((("IPCA", "0.5"), ("IPCA", "0.5")), r"formula\[1\]: IPCA appears twice"),
        ((("SELIC", "1"),), r"formula\[0\]: 'SELIC' is neither"),
    ],
)
def test_formula_weights_are_validated(weights: tuple[tuple[str, str], ...], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        ReadjustmentRule("formula", date(2026, 3, 1), weights=tuple(Component(s, D(w)) for s, w in weights))


# --- no index, anniversaries ----------------------------------------------------------------------------------------


def test_index_none_is_a_factor_of_one_with_a_note() -> None:
    result = readjust(ReadjustmentRule("none", date(2027, 2, 1)), date(2027, 2, 1), {})
    assert (result.factor, result.months, result.note) == (D(1), (), "no readjustment: the contract's index is 'none'")


def test_readjust_only_on_an_anniversary() -> None:
    with pytest.raises(ValueError, match="2027-03-02 is not an anniversary of 2026-03-01"):
        readjust(ReadjustmentRule("IPCA", date(2026, 3, 1)), date(2027, 3, 2), SERIES)
    with pytest.raises(ValueError, match="not an anniversary"):
        readjust(ReadjustmentRule("IPCA", date(2026, 3, 1)), date(2025, 3, 1), SERIES)


def test_anniversaries() -> None:
    assert anniversaries(date(2027, 2, 1), date(2029, 2, 1)) == [date(2027, 2, 1), date(2028, 2, 1), date(2029, 2, 1)]
    assert anniversaries(date(2027, 2, 1), date(2029, 1, 31)) == [date(2027, 2, 1), date(2028, 2, 1)]
    assert anniversaries(date(2027, 2, 1), date(2026, 12, 31)) == []


def test_a_29_february_anniversary_falls_on_the_28th_in_common_years() -> None:
    assert anniversaries(date(2024, 2, 29), date(2028, 3, 1)) == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]
    rule = ReadjustmentRule("IPCA", date(2024, 2, 29))
    # IPCA lag 2 from February 2025: January 2024 .. December 2024.
    assert readjust(rule, date(2025, 2, 28), SERIES).months == tuple(months(date(2024, 1, 1), 12))


# --- the contract file ---------------------------------------------------------------------------------------------


def test_parse_rule_minimal_and_full() -> None:
    assert parse_rule({"index": "IPCA", "anniversary": date(2027, 2, 1)}) == ReadjustmentRule("IPCA", date(2027, 2, 1))
    section = yaml.safe_load(
        """
        anniversary: 2026-03-01
        lag_months: 2
        floor_zero: true
        fallback: IPCA
        formula:
          - {agreement: sinttel, weight: 0.7}
          - {index: IGP-M, weight: 0.3}
        """
    )
    assert parse_rule(section) == ReadjustmentRule(
        "formula",
        date(2026, 3, 1),
        lag_months=2,
        floor_zero=True,
        fallback="IPCA",
        weights=(Component("cct_sinttel", D("0.7")), Component("IGP-M", D("0.3"))),  # 0.7 read as 0.7, not 0.69999
    )
    assert parse_rule({"index": "none", "anniversary": "2027-02-01"}).index == "none"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"index": "IPCA", "anniversary": "2026-03-01", "indice": "x"}, "readjustment.indice: unknown key"),
        ({"anniversary": "2026-03-01"}, "readjustment.index: required"),
        ({"index": "IGPM", "anniversary": "2026-03-01"}, "readjustment.index: must be one of IPCA, IGP-M, INPC, none"),
        ({"index": "IPCA"}, "readjustment.anniversary: required"),
        ({"index": "IPCA", "anniversary": "2026-13-01"}, "readjustment.anniversary: must be a date YYYY-MM-DD"),
        ({"index": "IPCA", "anniversary": "2026-03-01", "lag_months": "2"}, "readjustment.lag_months: must be a whole"),
        ({"index": "IPCA", "anniversary": "2026-03-01", "lag_months": -1}, "readjustment.lag_months: must be a whole"),
        ({"index": "IPCA", "anniversary": "2026-03-01", "floor_zero": "yes"}, "readjustment.floor_zero: must be true"),
        ({"index": "IPCA", "anniversary": "2026-03-01", "fallback": "IPCA"}, "readjustment.fallback: must differ"),
        ({"index": "IPCA", "anniversary": "2026-03-01", "fallback": "cct_x"}, "readjustment.fallback: must be one of"),
        ({"index": "none", "anniversary": "2026-03-01", "fallback": "IPCA"}, "readjustment.index: 'none' takes"),
        ({"index": "formula", "anniversary": "2026-03-01"}, "readjustment.index: must be one of"),
        ({"anniversary": "2026-03-01", "formula": []}, "readjustment.formula: must be a non-empty list"),
        (
            {"index": "IPCA", "anniversary": "2026-03-01", "formula": [{"index": "IPCA", "weight": 1}]},
            "readjustment.index: must be 'formula' (or left out)",
        ),
    ],
)
def test_parse_rule_errors_start_with_the_field_path(section: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        parse_rule(section)


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (
            [{"agreement": "a", "weight": 0.7}, {"index": "IPCA", "weight": 1.5}],
            "readjustment.formula[1].weight: must be in (0, 1]",
        ),
        (
            [{"agreement": "a", "weight": 0.7}, {"index": "IPCA", "weight": 0.2}],
            "readjustment.formula: weights sum to 0.9",
        ),
        (
            [{"agreement": "a", "index": "IPCA", "weight": 1}],
            "readjustment.formula[0]: give exactly one of index or agreement",
        ),
        ([{"index": "IPCA"}], "readjustment.formula[0].weight: required"),
        ([{"index": "IPCA", "weight": "heavy"}], "readjustment.formula[0].weight: 'heavy' is not a number"),
        ([{"index": "IPCA", "weight": 1, "cap": 2}], "readjustment.formula[0].cap: unknown key"),
        (["IPCA"], "readjustment.formula[0]: must be a mapping"),
        ([{"index": "SELIC", "weight": 1}], "readjustment.formula[0]: 'SELIC' is neither"),
    ],
)
def test_parse_rule_formula_errors(formula: list[object], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        parse_rule({"anniversary": "2026-03-01", "formula": formula})

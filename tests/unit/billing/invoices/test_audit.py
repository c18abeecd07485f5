import csv
import io
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops.billing.invoices.audit import (
    KIND_ADJUSTMENT,
    KIND_ON_CALL,
    KIND_POSITIONS,
    KIND_REINFORCEMENT,
    KIND_SLA_BONUS,
    KIND_SLA_CREDIT,
    KIND_TICKET_MINUTES,
    BilledInvoice,
    BilledLine,
    Expected,
    ExpectedLine,
    audit,
    classify,
    parse_billed,
    parse_decimal,
)

D = Decimal
HEADER = "description;kind;quantity;unit_price;amount\n"

# February 2026, before the anniversary of 2026-03-01: the contracted prices are still last year's.
PRICES = {
    KIND_POSITIONS: D("5200.0000"),
    KIND_REINFORCEMENT: D("38.5000"),
    KIND_TICKET_MINUTES: D("4.0000"),
    KIND_ON_CALL: D("240.0000"),  # 4.00 a minute, the ticket rate
}
CANDIDATES = {
    # 5200.00 × 1.046 (IGP-M over the year) = 5439.20; × 1.029 (IPCA) = 5350.80
    KIND_POSITIONS: {"readjusted early": D("5439.20"), "readjusted by IPCA instead of IGP-M": D("5350.80")},
    # 38.50 × 1.046 = 40.271
    KIND_REINFORCEMENT: {"readjusted early": D("40.2710")},
}
MEASURED = [
    ExpectedLine(KIND_POSITIONS, "Positions", D(40), D("5200.00"), D("208000.00")),
    ExpectedLine(KIND_REINFORCEMENT, "Reinforcement hours", D(120), D("38.50"), D("4620.00")),
    ExpectedLine(KIND_TICKET_MINUTES, "Ticket minutes", D(1500), D("4.00"), D("6000.00")),
    ExpectedLine(KIND_ON_CALL, "On-call hours", D(24), D("240.00"), D("5760.00")),
    ExpectedLine(KIND_SLA_CREDIT, "SLA credit", D(1), D("-2080.00"), D("-2080.00")),
]
# Gross as measured: 208000.00 + 4620.00 + 6000.00 + 5760.00 - 2080.00 = 222300.00
# IRRF 1.5 % of it = 3334.50; PIS/COFINS/CSLL 4.65 % = 10336.95
WITHHOLDINGS = {"IRRF": D("3334.50"), "CSRF": D("10336.95")}


CONTRACT = Expected(
    lines=MEASURED,
    price_at=PRICES.__getitem__,
    price_candidates=CANDIDATES,
    withholdings=WITHHOLDINGS,
    known_kinds={*PRICES, KIND_SLA_CREDIT},
)


def expected(**changes: Any) -> Expected:
    return replace(CONTRACT, **changes)


def read(body: str) -> BilledInvoice:
    return parse_billed(csv.DictReader(io.StringIO(HEADER + body), delimiter=";"))


# Net: 222300.00 - 3334.50 - 10336.95 = 208628.55
CLEAN = """\
Competência 02/2026;period;;;
Posições de atendimento (PA);;40;5.200,00;208.000,00
Horas de reforço;;120;38,50;4.620,00
Minutos de chamados;;1500;4,00;6.000,00
Sobreaviso fim de semana;oncall_hour;24;240,00;5.760,00
Crédito de SLA - nível de serviço;;1;-2.080,00;-2.080,00
IRRF retido;withholding:IRRF;;;-3.334,50
PIS/COFINS/CSLL;withholding:CSRF;;;-10.336,95
Valor total;;;;222.300,00
Valor líquido;;;;208.628,55
"""

PLANTED = """\
Competência 02/2026;period;;;
Posições de atendimento (PA);;40;5.439,20;217.568,00
Horas de reforço;;130;38,50;5.005,00
Minutos de chamados;;1500;4,10;6.150,00
Sobreaviso fim de semana;oncall_hour;24;240,00;5.760,00
Sobreaviso fim de semana;oncall_hour;24;240,00;5.760,00
Taxa de implantação;;1;12.000,00;12.000,00
Crédito de SLA - nível de serviço;;1;-2.080,00;-2.080,00
IRRF retido;withholding:IRRF;;;-3.334,50
Valor total;;;;250.613,00
Valor líquido;;;;247.278,50
"""


def test_a_clean_invoice_has_no_differences() -> None:
    billed = read(CLEAN)
    assert billed.period == "2026-02"
    assert billed.total == D("222300.00")
    assert billed.net == D("208628.55")
    assert audit(billed, expected()) == []


def test_every_planted_difference_is_found_with_its_amount() -> None:
    found = audit(read(PLANTED), expected())
    assert [(d.code, d.row, d.amount) for d in found] == [
        # row 3: 5439.20 is last year's 5200.00 readjusted a month early: (5439.20 - 5200.00) × 40 = 239.20 × 40
        ("readjustment_early", 3, D("9568.00")),
        # row 5: 4.10 is no contracted price: (4.10 - 4.00) × 1500 = 0.10 × 1500
        ("price_not_contracted", 5, D("150.00")),
        # row 7: row 6 again, its whole 24 × 240.00
        ("duplicate_line", 7, D("5760.00")),
        # row 8: a setup fee the contract does not have, its whole amount
        ("line_not_in_contract", 8, D("12000.00")),
        # row 4: 130 hours billed, 120 measured: (130 - 120) × 38.50
        ("quantity_above_measured", 4, D("385.00")),
        # CSRF (PIS/COFINS/CSLL) expected 10336.95, not withheld: 10336.95 - 0
        ("withholding_missing", None, D("10336.95")),
        # lines: 217568.00 + 5005.00 + 6150.00 + 5760.00 + 5760.00 + 12000.00 - 2080.00 = 250163.00,
        # stated 250613.00 (digits swapped): 250613.00 - 250163.00
        ("total_does_not_add_up", 11, D("450.00")),
    ]
    # net 247278.50 = stated total 250613.00 - IRRF 3334.50: consistent, not counted again


def test_line_differences_add_up_to_billed_minus_measured() -> None:
    found = audit(read(PLANTED), expected())
    on_lines = sum(d.amount for d in found if d.code not in ("withholding_missing", "total_does_not_add_up"))
    # 9568.00 + 150.00 + 5760.00 + 12000.00 + 385.00 = 27863.00 = 250163.00 - 222300.00
    assert on_lines == D("27863.00")


def test_differences_carry_what_was_compared() -> None:
    found = {d.code: d for d in audit(read(PLANTED), expected())}
    early = found["readjustment_early"]
    assert (early.billed, early.expected) == (D("5439.20"), D("5200.0000"))
    assert "readjusted early" in early.description
    quantity = found["quantity_above_measured"]
    assert (quantity.billed, quantity.expected) == (D(130), D(120))
    missing = found["withholding_missing"]
    assert (missing.billed, missing.expected) == (None, D("10336.95"))
    assert "CSRF" in missing.description
    total = found["total_does_not_add_up"]
    assert (total.billed, total.expected) == (D("250613.00"), D("250163.00"))


def positions_at(price: str, amount: str) -> BilledInvoice:
    line = BilledLine(3, "Posições de atendimento", None, D(40), D(price), D(amount))
    return BilledInvoice("2026-03", [line], {}, None, None)


def test_the_old_price_after_the_anniversary_is_a_late_readjustment() -> None:
    # March 2026: contracted 5439.20, billed the old 5200.00: (5200.00 - 5439.20) × 40 = -239.20 × 40
    march = expected(
        lines=[MEASURED[0]],
        price_at={KIND_POSITIONS: D("5439.20")}.__getitem__,
        price_candidates={KIND_POSITIONS: {"before readjustment": D("5200.00")}},
        withholdings={},
    )
    [found] = audit(positions_at("5200.00", "208000.00"), march)
    assert (found.code, found.amount) == ("readjustment_late", D("-9568.00"))


def test_a_price_readjusted_by_the_wrong_index_is_named() -> None:
    # (5350.80 - 5200.00) × 40 = 150.80 × 40 = 6032.00
    found = audit(positions_at("5350.80", "214032.00"), expected(lines=[MEASURED[0]], withholdings={}))
    assert [(d.code, d.amount) for d in found] == [("readjustment_wrong_index", D("6032.00"))]
    assert "IPCA instead of IGP-M" in found[0].description


def test_arithmetic_off_by_more_than_half_a_cent() -> None:
    line = BilledLine(2, "Sobreaviso", KIND_ON_CALL, D(24), D("240.00"), D("5670.00"))
    near = BilledLine(3, "Reforço", KIND_REINFORCEMENT, D("0.3"), D("38.5000"), D("11.55"))  # exactly 11.55
    rounded = BilledLine(4, "Reforço noturno", KIND_REINFORCEMENT, D("0.125"), D("38.5000"), D("4.81"))
    billed = BilledInvoice("2026-02", [line, near, rounded], {}, None, None)
    found = [d for d in audit(billed, expected()) if d.code == "amount_not_quantity_times_price"]
    # 24 × 240.00 = 5760.00 billed 5670.00: 5670.00 - 5760.00 = -90.00;
    # 0.125 × 38.50 = 4.8125 billed 4.81 is 0.0025 off, within half a cent
    assert [(d.row, d.expected, d.amount) for d in found] == [(2, D("5760.00"), D("-90.00"))]


def test_kinds_measured_but_not_billed_are_undercharges() -> None:
    billed = BilledInvoice("2026-02", [], {}, None, None)
    found = {d.code + ":" + d.description.split(" ")[1]: d.amount for d in audit(billed, expected(withholdings={}))}
    assert found == {
        "quantity_below_measured:position_month": D("-208000.00"),  # (0 - 40) × 5200.00
        "quantity_below_measured:reinforcement_hour": D("-4620.00"),  # (0 - 120) × 38.50
        "quantity_below_measured:ticket_minute": D("-6000.00"),  # (0 - 1500) × 4.00
        "quantity_below_measured:oncall_hour": D("-5760.00"),  # (0 - 24) × 240.00
        # no SLA credit given back: 0 - (-2080.00), the client overcharged
        "amount_not_measured:sla_credit": D("2080.00"),
    }


def test_quantities_add_up_over_several_lines_of_a_kind() -> None:
    # 70 + 60 = 130 hours against 120 measured: (130 - 120) × 38.50 = 385.00, no single row to blame
    lines = [
        BilledLine(2, "Reforço manhã", None, D(70), D("38.50"), D("2695.00")),
        BilledLine(3, "Reforço tarde", None, D(60), D("38.50"), D("2310.00")),
    ]
    found = audit(BilledInvoice("2026-02", lines, {}, None, None), expected(lines=[MEASURED[1]], withholdings={}))
    assert [(d.code, d.row, d.amount) for d in found] == [("quantity_above_measured", None, D("385.00"))]
    assert "rows 2, 3" in found[0].description


def test_withholdings_wrong_or_unexpected() -> None:
    billed = BilledInvoice("2026-02", [], {"IRRF": D("3000.00"), "INSS": D("100.00")}, None, None)
    found = audit(billed, expected(lines=[], withholdings={"irrf": D("3334.50")}))
    assert [(d.code, d.billed, d.expected, d.amount) for d in found] == [
        # no INSS expected, 100.00 withheld: 0 - 100.00, the client pays that much less net
        ("withholding_wrong", D("100.00"), D("0.00"), D("-100.00")),
        # IRRF 3334.50 expected, 3000.00 withheld: 3334.50 - 3000.00
        ("withholding_wrong", D("3000.00"), D("3334.50"), D("334.50")),
    ]


def test_a_net_that_does_not_add_up() -> None:
    line = BilledLine(2, "Posições", KIND_POSITIONS, D(40), D("5200.00"), D("208000.00"))
    billed = BilledInvoice("2026-02", [line], {"IRRF": D("3120.00")}, D("208000.00"), D("205880.00"))
    found = audit(billed, expected(lines=[MEASURED[0]], withholdings={"IRRF": D("3120.00")}))
    # 208000.00 - 3120.00 = 204880.00, stated 205880.00: 205880.00 - 204880.00
    assert [(d.code, d.amount) for d in found] == [("net_does_not_add_up", D("1000.00"))]


ISS_ON_TOP = {"iss_rate": D("0.05"), "iss_on_top": True, "lines": [MEASURED[0]], "withholdings": {"IRRF": D("3120.00")}}


def test_an_iss_row_on_top_of_the_prices_is_neither_a_line_nor_a_difference() -> None:
    # 208000.00 + 5 % ISS 10400.00 = 218400.00 gross; less IRRF 3120.00 = 215280.00 net
    billed = read(
        "Competência 02/2026;;;;\nPosições;;40;5.200,00;208.000,00\nISS 5%;;;;10.400,00\n"
        "Total;;;;218.400,00\nIRRF;withholding:IRRF;;;-3.120,00\nValor líquido;;;;215.280,00\n"
    )
    assert billed.iss == D("10400.00") and len(billed.lines) == 1
    assert audit(billed, expected(**ISS_ON_TOP)) == []
    # The services' subtotal as "Total", the ISS below it: the same invoice, stated another way
    assert audit(replace(billed, total=D("208000.00")), expected(**ISS_ON_TOP)) == []


def test_a_wrong_iss_counts_once() -> None:
    line = BilledLine(2, "Posições", KIND_POSITIONS, D(40), D("5200.00"), D("208000.00"))
    # ISS billed at 5.5 %: 11440.00 instead of 10400.00; total and net agree with the wrong ISS
    billed = BilledInvoice(
        "2026-02", [line], {"IRRF": D("3120.00")}, D("219440.00"), D("216320.00"), {"iss": 3, "total": 4}, D("11440.00")
    )
    found = audit(billed, expected(**ISS_ON_TOP))
    assert [(d.code, d.row, d.amount) for d in found] == [("iss_wrong", 3, D("1040.00"))]


def test_bonuses_and_adjustments_are_audited_by_amount() -> None:
    # A carried adjustment of -120.50 billed as -100.50: -100.50 - (-120.50) = 20.00 overcharged, whatever the price
    measured = [ExpectedLine(KIND_ADJUSTMENT, "Late readjustment", D(1), D("-120.50"), D("-120.50"))]
    line = BilledLine(2, "Ajuste de readequação", None, D(1), D("-100.50"), D("-100.50"))
    found = audit(BilledInvoice("2026-02", [line], {}, None, None), expected(lines=measured, withholdings={},
                  known_kinds={*PRICES, KIND_SLA_CREDIT, KIND_ADJUSTMENT}))  # fmt: skip
    assert [(d.code, d.amount) for d in found] == [("amount_not_measured", D("20.00"))]


def test_a_kind_column_the_contract_does_not_have_is_not_in_contract() -> None:
    line = BilledLine(2, "Treinamento inicial", "training", D(10), D("150.00"), D("1500.00"))
    found = audit(BilledInvoice("2026-02", [line], {}, None, None), expected(lines=[], withholdings={}))
    assert [(d.code, d.amount) for d in found] == [("line_not_in_contract", D("1500.00"))]
    assert "'training'" in found[0].description


def test_measured_kinds_outside_the_contract_are_refused() -> None:
    with pytest.raises(ValueError, match="measured kinds the contract does not have: training"):
        audit(
            BilledInvoice("2026-02", [], {}, None, None),
            expected(lines=[ExpectedLine("training", "", D(1), D(1), D(1))]),
        )


@pytest.mark.parametrize(
    ("description", "kind"),
    [
        ("Posições de atendimento", KIND_POSITIONS),
        ("POSICOES PA 6x1", KIND_POSITIONS),
        ("Posiciones de atención", KIND_POSITIONS),
        ("Service positions", KIND_POSITIONS),
        ("Posições de reforço", KIND_REINFORCEMENT),  # specific kinds first
        ("Refuerzos de fin de semana", KIND_REINFORCEMENT),
        ("Reinforcement hours", KIND_REINFORCEMENT),
        ("Sobreaviso 24x7", KIND_ON_CALL),
        ("Guardias pasivas", KIND_ON_CALL),
        ("On-call specialist", KIND_ON_CALL),
        ("Minutos de chamados", KIND_TICKET_MINUTES),
        ("Ticket minutes", KIND_TICKET_MINUTES),
        ("Crédito de SLA sobre posições", KIND_SLA_CREDIT),
        ("Descuento por SLA", KIND_SLA_CREDIT),
        ("SLA credit - voice", KIND_SLA_CREDIT),
        ("Bônus de SLA - nível de serviço", KIND_SLA_BONUS),
        ("Ajuste de readequação de outubro", KIND_ADJUSTMENT),
        ("Posições, ajuste pro rata", KIND_POSITIONS),  # adjustment words come last
        ("Taxa de implantação", None),
        ("Composition", None),  # whole words: "position" inside another word is not one
    ],
)
def test_descriptions_name_their_kind(description: str, kind: str | None) -> None:
    assert classify(description) == kind


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1234,56", "1234.56"),
        ("-1.234,56", "-1234.56"),
        ("R$ 1.234,56", "1234.56"),
        ("-R$ 2.080,00", "-2080.00"),
        ("12.345.678,9", "12345678.9"),
        ("1.234.567", "1234567"),  # several dots and no comma: Brazilian thousands
        ("1.500", "1.500"),  # one dot last: the decimal mark, as the rule says
        ("1.500,00", "1500.00"),
        ("0,5", "0.5"),
        (" 42 ", "42"),
    ],
)
def test_decimal_cells_dot_or_brazilian(text: str, value: str) -> None:
    assert parse_decimal(text) == D(value)
    assert str(parse_decimal(text)) == value  # exact, no float on the way


@pytest.mark.parametrize("text", ["", "abc", "1,234,567", "12.34,5", "1.2.3", "1e5", "1234,", "--1", "1 234,56"])
def test_unreadable_decimal_cells_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"number|grouped|decimal mark"):
        parse_decimal(text)


def test_parse_reads_brazilian_cells_and_special_rows() -> None:
    billed = read(CLEAN)
    assert billed.lines[0] == BilledLine(3, "Posições de atendimento (PA)", None, D(40), D("5200.00"), D("208000.00"))
    assert billed.lines[3].kind == KIND_ON_CALL
    assert billed.lines[4].amount == D("-2080.00")
    assert billed.withholdings == {"IRRF": D("3334.50"), "CSRF": D("10336.95")}  # sign dropped
    assert billed.special_rows == {"period": 2, "withholding:IRRF": 8, "withholding:CSRF": 9, "total": 10, "net": 11}


def test_parse_without_a_kind_column_and_with_spreadsheet_headers() -> None:
    rows = [
        {"Description": "Período: 2026-03", "Quantity": "", "Unit price": "", "Amount": ""},
        {"Description": "Positions", "Quantity": "40", "Unit price": "5439.20", "Amount": "217568.00"},
        {"Description": "", "Quantity": "", "Unit price": "", "Amount": ""},  # blank rows are skipped
        {"Description": "Período noturno - reforço", "Quantity": "2", "Unit price": "38,50", "Amount": "77,00"},
        {"Description": "Total", "Quantity": "", "Unit price": "", "Amount": "217.645,00"},
    ]
    billed = parse_billed(rows)
    assert billed.period == "2026-03"
    assert billed.lines == (
        BilledLine(3, "Positions", None, D(40), D("5439.20"), D("217568.00")),
        BilledLine(5, "Período noturno - reforço", None, D(2), D("38.50"), D("77.00")),  # a line, not the period
    )
    assert (billed.total, billed.net) == (D("217645.00"), None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Competência 02/2026;period;;;\nPosições;;dez;5.200,00;52.000,00\n", "row 3, column quantity: 'dez'"),
        ("Competência 02/2026;period;;;\nPosições;;10;;52.000,00\n", "row 3, column unit_price: empty"),
        ("Competência 02/2026;period;;;\nValor total;;;;1.2.3\n", "row 3, column amount"),
        ("Posições;;10;5.200,00;52.000,00\n", "no period row"),
        ("Competência 13/2026;period;;;\n", "row 2, column description: month 13"),
        ("Competência;period;;;\n", "row 2, column description: .* has no period"),
        ("Competência 02/2026;period;;;\nTotal;total;;;1,00\nTotal;total;;;1,00\n", "row 4: a second 'total'"),
        ("Competência 02/2026;period;;;\nx;withholding:;;;1,00\n", "row 3, column kind"),
        ("Competência 02/2026;period;;;\n;;1;1,00;1,00\n", "row 3, column description"),
    ],
)
def test_bad_cells_name_the_row_and_column(body: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read(body)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_any_amount_reads_back_written_either_way(value: Decimal) -> None:
    english = f"{value:,.2f}"  # 1,234,567.89
    brazilian = english.replace(",", "_").replace(".", ",").replace("_", ".")  # 1.234.567,89
    assert parse_decimal(english) == value
    assert parse_decimal(brazilian) == value
    assert parse_decimal(f"{value:.2f}") == value

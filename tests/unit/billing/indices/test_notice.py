"""The readjustment notice: words, money, dates and factor in the client's language, the draft mark, the floor and
fallback explained, the legal basis; and the month parser the CLI and the API share."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ops.billing.indices.notice import check_lang, notice_filename, notice_html
from ops.billing.indices.schemas import EarlierOut, PriceChangeOut, ReadjustPreview
from ops.errors import InvalidInputError
from ops.http import parse_month

D = Decimal


def preview(**changes: object) -> ReadjustPreview:
    values: dict[str, object] = {
        "contract": "reference",
        "client": "CaboNet Telecomunicações S.A.",
        "currency": "BRL",
        "anniversary": date(2025, 3, 1),
        "status": "applied",
        "rule_index": "IPCA",
        "index": "IPCA",
        "months": [f"2024-{m:02d}" for m in range(2, 13)] + ["2025-01"],
        "factor": D("1.04559874"),
        "raw_factor": D("1.04559874"),
        "cumulative_factor": D("1.09272008"),
        "floored": False,
        "fallback_used": False,
        "notes": [],
        "components": [],
        "earlier": [EarlierOut(date(2024, 3, 1), "IPCA", D("1.04506637"))],
        "prices": [
            PriceChangeOut("position_month", D("9800.0000"), D("10241.6504"), D("10708.6568")),
            PriceChangeOut("ticket_minute", D("4.0000"), D("4.1803"), D("4.3709")),
        ],
        "applied_at": "2025-03-01T12:00:00+00:00",
        "applied_by": "ana",
    }
    values.update(changes)
    return ReadjustPreview(**values)  # type: ignore[arg-type]


def test_portuguese_notice() -> None:
    page = notice_html(preview(), lang="pt-BR")
    for text in (
        '<html lang="pt-BR">',
        "Aviso de reajuste contratual",
        "CaboNet Telecomunicações S.A.",
        "1 de março de 2025",
        "fevereiro de 2024 – janeiro de 2025 (12)",
        "1,04559874",  # the factor, 8 decimals, decimal comma
        "4,56%",
        "1,09272008",  # accumulated since the base price
        "R$\xa010.241,6504",
        "R$\xa010.708,6568",
        "R$\xa04,3709",
        "Posição de atendimento (mês)",
        "Lei nº 10.192/2001, art. 2º, § 1º",
        "produto de todos os fatores",
    ):
        assert text in page, text
    assert "Minuta" not in page  # applied: not a draft


def test_english_notice_of_a_draft_floored_by_the_fallback() -> None:
    page = notice_html(
        preview(status="preview", floored=True, fallback_used=True, index="INPC", factor=D(1), raw_factor=D("0.98"),
                earlier=[], prices=[PriceChangeOut("oncall_hour", D("240.0000"), D("240.0000"), D("240.0000"))]),
        lang="en",
    )  # fmt: skip
    for text in (
        "Contract price readjustment notice",
        "Draft: this readjustment has not been applied yet.",
        "March 1, 2025",
        "February 2024 – January 2025 (12)",
        "1.00000000",
        "(factor 0.98000000)",
        "the contract&#39;s substitute index INPC was used",
        "R$240.00",
        "On-call hour",
        "Brazilian Law 10.192/2001",
    ):
        assert text in page, text
    assert "Earlier readjustments" not in page
    assert notice_filename(preview(), lang="en") == "readjustment-reference-2025-03-01.pdf"
    assert notice_filename(preview(), lang="pt-BR", fmt="html") == "reajuste-reference-2025-03-01.html"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"lang: 'es' is not a notice language: expected pt-BR or en"):
        check_lang("es")
    with pytest.raises(InvalidInputError):
        notice_html(preview(), lang="pt_BR")


@pytest.mark.parametrize(("text", "month"), [("2024-03", date(2024, 3, 1)), (" 1999-12 ", date(1999, 12, 1))])
def test_a_month(text: str, month: date) -> None:
    assert parse_month(text, "month") == month


@pytest.mark.parametrize("text", ["2024-13", "2024-00", "2024-3", "2024-03-01", "0000-01", "march", "２０２４-03"])
def test_not_a_month(text: str) -> None:
    with pytest.raises(InvalidInputError, match=r"^month: .* is not a month YYYY-MM$") as raised:
        parse_month(text, "month")
    assert raised.value.extra == [{"field": "month", "problem": "not a month YYYY-MM"}]

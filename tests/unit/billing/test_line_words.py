"""A measurement line as the reader reads it on a page or a document: the SLA report it came from names its period
in the reader's dates, not as the line keeps it."""

from __future__ import annotations

from ops.billing.documents import describe
from ops.l10n import Formats, gettext


def test_the_sla_credit_line_names_its_report_period_in_the_readers_dates() -> None:
    detail = {"report": "sla 2026-11-01..2026-11-30"}
    said = {
        lang: describe("sla_credit", detail, "x", gettext(lang), Formats(lang)) for lang in ("pt-BR", "es-AR", "en")
    }
    assert said["pt-BR"] == "Créditos de serviço do SLA (relatório sla 01/11/2026 – 30/11/2026)"
    assert said["es-AR"] == "Créditos de servicio del SLA (informe sla 1/11/26 – 30/11/26)"
    assert said["en"] == "SLA service credits (report sla 11/1/26 – 11/30/26)"
    stored = describe(
        "sla_bonus", {"report": "7 (monthly 2026-11-01..2026-11-30, pdf)"}, "x", gettext("pt-BR"), Formats("pt-BR")
    )
    assert "7 (monthly 01/11/2026 – 30/11/2026, pdf)" in stored

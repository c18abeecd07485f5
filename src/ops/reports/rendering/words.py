"""The report's words in the reader's language: KPI names, column titles, the service-level formula in a sentence,
business time; numbers, money, percentages and dates by Babel (ops.l10n), never by hand.

The msgids are English and live in the gettext catalogues (src/ops/locale/<locale>/LC_MESSAGES/messages.po);
`N_` marks a msgid for extraction where the translation happens later, with the reader's catalogue."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, format_percent
from jinja2 import Undefined

from ops.contracts.schemas import ContractFile
from ops.l10n import Formats, gettext, language
from ops.reports.metrics import ServiceLevelFormula


def N_(message: str) -> str:
    return message


KPI_NAMES: dict[str, str] = {
    "service_level": N_("Service level"),
    "asa": N_("Average speed of answer"),
    "aht": N_("Average handle time"),
    "abandon_rate": N_("Abandonment rate"),
    "abandon_rate_excl_short": N_("Abandonment rate without short abandons"),
    "occupancy": N_("Occupancy"),
    "first_response_within": N_("First response within policy"),
    "resolution_within": N_("Resolution within policy"),
    # the clocks of a ticket, in the breach list
    "first_response": N_("First response"),
    "resolution": N_("Resolution"),
}
SECONDS_KPIS = frozenset({"asa", "aht"})
# Columns of the tables (XLSX sheets), by code; a column not named here keeps its code.
COLUMNS: dict[str, str] = {
    "queue": N_("Queue"),
    "name": N_("Name"),
    "kind": N_("Kind"),
    "channel": N_("Channel"),
    "interval_start": N_("Interval start"),
    "period": N_("Day"),
    "period_start": N_("Start"),
    "period_end": N_("End"),
    "day": N_("Day"),
    "offered": N_("Offered"),
    "answered": N_("Answered"),
    "answered_within": N_("Answered within T"),
    "abandoned": N_("Abandoned"),
    "abandoned_within": N_("Abandoned within T"),
    "short_abandons": N_("Short abandons"),
    "handle_seconds": N_("Handle seconds"),
    "wait_seconds": N_("Wait seconds"),
    "staffed_seconds": N_("Staffed seconds"),
    "service_level": N_("Service level"),
    "target": N_("Target"),
    "met": N_("Met"),
    "asa": N_("ASA (s)"),
    "aht": N_("AHT (s)"),
    "abandon_rate": N_("Abandonment"),
    "abandon_rate_excl_short": N_("Abandonment without short abandons"),
    "occupancy": N_("Occupancy"),
    "formula": N_("Formula"),
    "threshold_seconds": N_("T (s)"),
    "tickets": N_("Tickets"),
    "first_response_due": N_("First responses due"),
    "first_response_met": N_("First responses in policy"),
    "resolution_due": N_("Resolutions due"),
    "resolution_met": N_("Resolutions in policy"),
    "first_response_within": N_("First response in policy"),
    "resolution_within": N_("Resolved in policy"),
    "backlog": N_("Backlog"),
    "rule": N_("Rule"),
    "kpi": N_("KPI"),
    "direction": N_("Direction"),
    "actual": N_("Actual"),
    "weight": N_("Weight"),
    "multiplier": N_("Multiplier"),
    "points": N_("Points"),
    "amount": N_("Amount"),
    "what": N_("What"),
    "late_minutes": N_("Late (business minutes)"),
    "ref": N_("Ticket"),
    "code": N_("Code"),
    "limit": N_("Limit"),
    "checked": N_("Checked"),
    "share": N_("Share"),
    "status": N_("Status"),
    "note": N_("Note"),
    "item": N_("Item"),
    "value": N_("Value"),
    "created_at": N_("Created"),
    "first_response_at": N_("First response at"),
    "resolved_at": N_("Resolved at"),
    "first_response_minutes": N_("First response (business minutes)"),
    "resolution_minutes": N_("Resolution (business minutes)"),
    "first_response_target": N_("First response target (minutes)"),
    "resolution_target": N_("Resolution target (minutes)"),
    "protocol": N_("Protocol"),
    "priority": N_("Priority"),
    "critical": N_("Critical"),
    "reason": N_("Reason"),
    "closed_at": N_("Closed at"),
    "month": N_("Month"),
    "penalties": N_("Penalties"),
    "bonuses": N_("Bonuses"),
    "adjustment": N_("Invoice adjustment"),
    "result": N_("Result"),
}
FORMULAS: dict[ServiceLevelFormula, str] = {
    ServiceLevelFormula.OFFERED: N_("Calls answered within {seconds} s out of all calls offered"),
    ServiceLevelFormula.OFFERED_MINUS_SHORT: N_(
        "Calls answered within {seconds} s out of calls offered, short abandons excluded"
    ),
    ServiceLevelFormula.OFFERED_MINUS_ABANDONED_WITHIN: N_(
        "Calls answered within {seconds} s out of calls offered, calls abandoned within {seconds} s excluded"
    ),
    ServiceLevelFormula.ANSWERED_AND_ABANDONED_WITHIN: N_(
        "Calls answered or abandoned within {seconds} s out of all calls offered"
    ),
    ServiceLevelFormula.ANSWERED: N_("Calls answered within {seconds} s out of calls answered"),
}
# Notes the pure core writes in English (regulatory.py); the report shows them through the catalogue.
NOTES = (N_("not measured: the data holds no time the protocol was sent"),)
STATUSES = {"ok": N_("met"), "missed": N_("missed"), "no data": N_("no data")}
RULE_KINDS = {
    "service_credit": N_("service credit"),
    "points": N_("points"),
    "bonus": N_("bonus"),
    "target": N_("target"),
}


@dataclass(frozen=True)
class Words:
    """A report's language: its tag (pt-BR, es-AR, en), catalogue, Babel formats and the contract's currency."""

    lang: str
    _: Callable[[str], str]
    fmt: Formats
    currency: str

    def kpi(self, code: str) -> str:
        return self._(KPI_NAMES[code]) if code in KPI_NAMES else code

    def column(self, code: str) -> str:
        return self._(COLUMNS[code]) if code in COLUMNS else code

    def status(self, code: str) -> str:
        return self._(STATUSES[code]) if code in STATUSES else code

    def rule_kind(self, code: str) -> str:
        return self._(RULE_KINDS[code]) if code in RULE_KINDS else code

    def formula(self, formula: ServiceLevelFormula, threshold: int) -> str:
        """The service level in a sentence, with its expression over the interval table's counts."""
        return f"{self.formula_sentence(formula, threshold)} [{formula.value}: {formula.expression}]"

    def formula_sentence(self, formula: ServiceLevelFormula, threshold: int) -> str:
        """The service level in the reader's words only: what a client reads on a page, no column names."""
        return self._(FORMULAS[formula]).format(seconds=self.fmt.number(threshold))

    def kpi_value(self, code: str, value: Any) -> str:
        """A KPI's value as the reader reads it: 80,0 % for a share, 45,2 s for a time."""
        if _missing(value):
            return ""
        if code in SECONDS_KPIS:
            return self._("{seconds} s").format(seconds=self.fmt.number(float(value), 1))
        return self.fmt.percent(float(value))

    def pct(self, value: Any, digits: int = 1) -> str:
        return "" if _missing(value) else self.fmt.percent(float(value), digits)

    def num(self, value: Any, digits: int = 0) -> str:
        return "" if _missing(value) else self.fmt.number(value, digits)

    def money(self, value: Decimal | str | None) -> str:
        return "" if value is None else self.fmt.money(Decimal(str(value)), self.currency)

    def date(self, value: dt.date | None) -> str:
        return self.fmt.date(value)

    def month(self, value: dt.date) -> str:
        return self.fmt.month(value)

    def change(self, value: Any, digits: int = 1) -> str:
        """A signed change: +0,8 or -1,3 (a month against the previous one)."""
        if _missing(value):
            return ""
        zeros = "0" * digits
        pattern = f"+#,##0.{zeros};-#,##0.{zeros}" if digits else "+#,##0;-#,##0"
        return format_decimal(float(value), format=pattern, locale=self.fmt.locale)

    def change_pct(self, value: Any) -> str:
        """A signed relative change: +5,9% or -5,9%."""
        if _missing(value):
            return ""
        return format_percent(float(value), format="+#,##0.0%;-#,##0.0%", locale=self.fmt.locale)

    def business_time(self, minutes: Any) -> str:
        """Business time in hours and minutes: 27 h 05 min (the business calendar's hours, not the wall clock's)."""
        if _missing(minutes):
            return ""
        total = round(float(minutes))
        hours, rest = divmod(total, 60)
        if not hours:
            return self._("{minutes} min").format(minutes=self.fmt.number(rest))
        return self._("{hours} h {minutes} min").format(hours=self.fmt.number(hours), minutes=f"{rest:02d}")

    def limit(self, check: dict[str, Any]) -> str:
        """A regulatory check's limit: 7 days, 60 s."""
        if check.get("seconds") is not None:
            return self._("{seconds} s").format(seconds=self.fmt.number(float(check["seconds"]), 0))
        if check.get("days") is not None:
            return self._("{days} days").format(days=self.fmt.number(int(check["days"])))
        return str(check.get("limit") or "")

    def yes_no(self, value: bool | None) -> str:
        return "" if value is None else self._("yes") if value else self._("no")


def words(contract: ContractFile, lang: str | None = None) -> Words:
    """The words of a report: the language asked for, else the contract's (its client's)."""
    tag = language(lang or contract.language)
    return Words(tag, gettext(tag), Formats(tag), contract.currency)


def _missing(value: Any) -> bool:
    if value is None or isinstance(value, Undefined):  # a field a row does not have (a voice queue's tickets)
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value

"""Checks of the contract file's `work` section (canned replies per reason, whether resolving past the
procedure may be overridden), registered with the contract loader by the composition root."""

from __future__ import annotations

from collections.abc import Mapping

from ops.contracts.schemas import ContractFile
from ops.queues.work.replies import parse_canned_replies

KEYS = ("canned_replies", "resolve_override")


def check_work(section: object, contract: ContractFile) -> None:
    if not isinstance(section, Mapping):
        raise ValueError("work: expected a mapping (canned_replies, resolve_override)")
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise ValueError(f"work.{unknown[0]}: unknown key (known: {', '.join(KEYS)})")
    override = section.get("resolve_override", True)
    if not isinstance(override, bool):
        raise ValueError("work.resolve_override: expected true or false")
    reasons = {r.code for q in contract.queues for r in q.reasons}
    parse_canned_replies(section.get("canned_replies"), reasons)

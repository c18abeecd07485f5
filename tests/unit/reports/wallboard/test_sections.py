"""The contract file's `wallboard:` section: defaults, and each bad field named when the contract loads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ops.contracts.document import ContractFileError, parse_contract
from ops.reports.wallboard.board import AtLeast, Below
from ops.reports.wallboard.sections import parse_wallboard
from tests.helpers import REFERENCE_CONTRACT

TEXT = REFERENCE_CONTRACT.read_text(encoding="utf-8")


def with_section(section: str) -> str:
    start = TEXT.index("\nwallboard:")
    end = TEXT.index("\nrecipients:")
    return TEXT[:start] + "\n" + section + "\n" + TEXT[end:]


def test_the_reference_contracts_levels() -> None:
    contract = parse_contract(TEXT)
    terms = parse_wallboard(contract.wallboard, contract)
    assert terms.stale_after == timedelta(seconds=60)
    assert terms.queue_code("cabonet-tech") == "helpdesk" and terms.queue_code("care") == "care"
    levels = terms.thresholds(0.8, 20)
    assert levels.service_level == Below(0.80, 0.75)
    assert levels.longest_wait_seconds == AtLeast(20, 60)


def test_without_the_section_the_levels_follow_each_queue() -> None:
    contract = parse_contract(with_section(""))
    terms = parse_wallboard(contract.wallboard, contract)
    assert terms.thresholds(0.9, 30).service_level == Below(0.9, pytest.approx(0.8))
    assert terms.thresholds(0.9, 30).longest_wait_seconds == AtLeast(30, 90)


@pytest.mark.parametrize(
    ("section", "path", "words"),
    [
        ("wallboard: {colour: red}", "wallboard.colour", "unknown field"),
        ("wallboard: {service_level: {amber_below: 0.7, red_below: 0.8}}", "wallboard.service_level.red_below",
         "must not be above"),
        ("wallboard: {service_level: {amber_below: 80, red_below: 70}}", "wallboard.service_level.amber_below",
         "share from 0 to 1"),
        ("wallboard: {calls_waiting: {amber_at: 5}}", "wallboard.calls_waiting", "amber_at and red_at"),
        ("wallboard: {calls_waiting: {amber_at: 5, red_at: 2.5}}", "wallboard.calls_waiting.red_at", "whole"),
        ("wallboard: {longest_wait_seconds: {amber_at: 60, red_at: 20}}", "wallboard.longest_wait_seconds.red_at",
         "not be below"),
        ("wallboard: {stale_after_seconds: 0}", "wallboard.stale_after_seconds", "from 5 to 3600"),
        ("wallboard: {queues: {tech: bo_care}}", "wallboard.queues.tech", "not an inbound voice queue"),
        ("wallboard: {queues: {tech: retention}}", "wallboard.queues.tech", "not an inbound voice queue"),
    ],
)  # fmt: skip
def test_a_bad_field_is_named(section: str, path: str, words: str) -> None:
    with pytest.raises(ContractFileError) as caught:
        parse_contract(with_section(section))
    assert caught.value.path == path
    assert words in caught.value.problem

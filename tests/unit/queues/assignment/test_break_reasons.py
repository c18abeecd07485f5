"""The contract file's break reasons: checked when the file is read, each problem naming its field."""

from __future__ import annotations

import pytest

from ops.composition import wire
from ops.contracts.document import ContractFileError, parse_contract
from tests.helpers import REFERENCE_CONTRACT

REFERENCE = REFERENCE_CONTRACT.read_text(encoding="utf-8")
MEAL = "{code: meal, name: Refeição, max_minutes: 20}"


def test_the_reference_contract_lists_its_break_reasons() -> None:
    wire()
    contract = parse_contract(REFERENCE, "reference")
    assert [(r.code, r.max_minutes) for r in contract.break_reasons][:2] == [("rest", 10), ("meal", 20)]


@pytest.mark.parametrize(
    ("replacement", "path", "problem"),
    [
        ("{code: rest, name: Refeição, max_minutes: 20}", "break_reasons[1].code", "duplicate break reason 'rest'"),
        ("{code: Meal Time, name: Refeição}", "break_reasons[1].code", "lowercase letters"),
        ("{code: meal, name: '  '}", "break_reasons[1].name", "1 to 100 characters"),
        ("{code: meal, name: Refeição, max_minutes: 0}", "break_reasons[1].max_minutes", "from 1 to 480"),
        ("{code: meal, name: Refeição, max_minutes: 600}", "break_reasons[1].max_minutes", "from 1 to 480"),
        ("{code: meal, label: Refeição}", "break_reasons[1]", "label"),
    ],
)
def test_a_bad_break_reason_is_refused_naming_its_field(replacement: str, path: str, problem: str) -> None:
    wire()
    assert MEAL in REFERENCE
    with pytest.raises(ContractFileError) as refused:
        parse_contract(REFERENCE.replace(MEAL, replacement), "bad.yaml")
    assert path in str(refused.value)
    assert problem in str(refused.value)

import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops.billing.invoices.chain import (
    GENESIS,
    ChainCheck,
    CreditAboveInvoice,
    canonical,
    check_credit_note,
    document_hash,
    verify_chain,
)

SP = ZoneInfo("America/Sao_Paulo")


def invoice(number: str, *amounts: str) -> dict[str, Any]:
    lines = [{"description": f"line {i}", "amount": Decimal(a)} for i, a in enumerate(amounts, start=1)]
    total = sum((Decimal(a) for a in amounts), Decimal(0))
    return {"type": "invoice", "number": number, "issued_on": date(2026, 3, 5), "lines": lines, "total": total}


def credit_note(number: str, invoice_number: str, amount: str) -> dict[str, Any]:
    return {"type": "credit_note", "number": number, "invoice": invoice_number, "amount": Decimal(amount)}


def chained(documents: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Store documents as they are issued: each row keeps the hash built on the previous one."""
    rows: list[tuple[str, dict[str, Any]]] = []
    previous: str | None = None
    for document in documents:
        previous = document_hash(previous, document)
        rows.append((previous, document))
    return rows


@pytest.fixture
def rows() -> list[tuple[str, dict[str, Any]]]:
    return chained(
        [
            invoice("NF-0001", "208000.00", "4620.00"),
            invoice("NF-0002", "6000.00"),
            credit_note("NC-0001", "NF-0001", "1200.00"),
            invoice("NF-0003", "5760.00", "-2080.00"),
        ]
    )


def test_canonical_is_sorted_compact_json_with_exact_decimals_and_iso_dates() -> None:
    document = {"n": "Nº 1", "b": Decimal("1.50"), "a": date(2026, 3, 1), "z": None, "t": True, "q": 3}
    assert canonical(document) == '{"a":"2026-03-01","b":1.5,"n":"Nº 1","q":3,"t":true,"z":null}'.encode()


def test_canonical_does_not_depend_on_key_order_or_trailing_zeros() -> None:
    # A row read back from a NUMERIC(12,2) column gives 100.00 where the issuer may have held 100
    assert canonical({"a": Decimal("100"), "b": [Decimal("0.10")]}) == canonical({"b": [Decimal("0.1")], "a": 100})
    assert canonical({"x": Decimal("-0.00")}) == b'{"x":0}'
    assert canonical({"x": Decimal("1E+3")}) == b'{"x":1000}'
    assert canonical({"x": Decimal("0.0000001")}) == b'{"x":0.0000001}'


def test_canonical_keeps_text_and_amounts_apart() -> None:
    assert canonical({"x": "10.5"}) != canonical({"x": Decimal("10.5")})


def test_an_aware_datetime_is_written_in_utc() -> None:
    # 09:00 in São Paulo (UTC-3) is 12:00 UTC
    assert canonical({"at": datetime(2026, 3, 1, 9, 0, tzinfo=SP)}) == b'{"at":"2026-03-01T12:00:00+00:00"}'


def test_a_float_is_refused_naming_where_it_is() -> None:
    with pytest.raises(TypeError, match=r"document\.lines\[0\]\.amount: float"):
        canonical({"lines": [{"amount": 1.5}]})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"tags": {"a", "b"}}, "set cannot go"),
        ({1: "x"}, "key 1 is not text"),
        ({"amount": Decimal("NaN")}, "not a finite amount"),
        ({"amount": Decimal("Infinity")}, "not a finite amount"),
    ],
)
def test_values_without_a_stable_exact_text_are_refused(document: dict[Any, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        canonical(document)


def test_document_hash_is_sha256_of_the_previous_hash_then_the_canonical_bytes() -> None:
    first, second = invoice("NF-0001", "10.00"), invoice("NF-0002", "20.00")
    h1 = document_hash(None, first)
    assert h1 == hashlib.sha256(b"0" * 64 + canonical(first)).hexdigest()
    assert document_hash(GENESIS, first) == h1
    assert document_hash(h1, second) == hashlib.sha256(h1.encode() + canonical(second)).hexdigest()


def test_the_same_document_after_another_predecessor_hashes_differently() -> None:
    document = invoice("NF-0002", "20.00")
    assert document_hash(None, document) != document_hash("f" * 64, document)


@pytest.mark.parametrize("previous", ["", "0" * 63, "F" * 64, "g" * 64])
def test_a_malformed_previous_hash_is_refused(previous: str) -> None:
    with pytest.raises(ValueError, match="64 lowercase hex"):
        document_hash(previous, {"a": 1})


def test_an_intact_chain_verifies(rows: list[tuple[str, dict[str, Any]]]) -> None:
    assert verify_chain(rows) == ChainCheck(ok=True, first_broken=None, reason="4 documents verified")
    assert verify_chain(rows, head=rows[-1][0]).ok
    assert verify_chain([]).ok


def test_an_amount_changed_breaks_the_chain_at_that_document(rows: list[tuple[str, dict[str, Any]]]) -> None:
    stored, document = rows[1]
    rows[1] = (stored, {**document, "total": Decimal("5999.99")})
    check = verify_chain(rows)
    assert (check.ok, check.first_broken) == (False, 1)
    assert "document 1" in check.reason


def test_a_line_amount_changed_inside_a_document_breaks_it(rows: list[tuple[str, dict[str, Any]]]) -> None:
    stored, document = rows[0]
    lines = [dict(line) for line in document["lines"]]
    lines[1]["amount"] = Decimal("4260.00")
    rows[0] = (stored, {**document, "lines": lines})
    assert verify_chain(rows).first_broken == 0


def test_a_line_removed_from_a_document_breaks_it(rows: list[tuple[str, dict[str, Any]]]) -> None:
    stored, document = rows[3]
    rows[3] = (stored, {**document, "lines": document["lines"][:1]})
    assert verify_chain(rows).first_broken == 3


def test_a_document_number_changed_breaks_it(rows: list[tuple[str, dict[str, Any]]]) -> None:
    stored, document = rows[2]
    rows[2] = (stored, {**document, "invoice": "NF-0002"})
    assert verify_chain(rows).first_broken == 2


def test_rehashing_the_altered_row_only_moves_the_break_to_the_next(rows: list[tuple[str, dict[str, Any]]]) -> None:
    # Whoever edits row 1 and recomputes its hash still leaves row 2 built on the old one
    altered = {**rows[1][1], "total": Decimal("1.00")}
    rows[1] = (document_hash(rows[0][0], altered), altered)
    assert verify_chain(rows).first_broken == 2


def test_a_document_deleted_breaks_the_chain_where_it_was(rows: list[tuple[str, dict[str, Any]]]) -> None:
    del rows[2]
    assert verify_chain(rows).first_broken == 2


def test_the_first_document_deleted_breaks_at_the_start(rows: list[tuple[str, dict[str, Any]]]) -> None:
    assert verify_chain(rows[1:]).first_broken == 0


def test_two_documents_swapped_break_at_the_first_of_them(rows: list[tuple[str, dict[str, Any]]]) -> None:
    rows[1], rows[2] = rows[2], rows[1]
    assert verify_chain(rows).first_broken == 1


def test_the_last_documents_removed_are_caught_only_by_the_head(rows: list[tuple[str, dict[str, Any]]]) -> None:
    head = rows[-1][0]
    assert verify_chain(rows[:-1]).ok  # a shorter chain is a valid chain
    check = verify_chain(rows[:-1], head=head)
    assert (check.ok, check.first_broken) == (False, 3)
    assert "removed" in check.reason


def test_credits_up_to_the_invoice_total_are_accepted() -> None:
    check_credit_note(Decimal("1000.00"), [], Decimal("400.00"))
    check_credit_note(Decimal("1000.00"), [Decimal("400.00"), Decimal("500.00")], Decimal("100.00"))  # exactly 1000
    check_credit_note(Decimal("1000.00"), [], Decimal("1000.00"))


def test_a_credit_above_the_invoice_is_refused_with_what_remains() -> None:
    with pytest.raises(CreditAboveInvoice, match=r"left to credit on this invoice: 1000\.00") as raised:
        check_credit_note(Decimal("1000.00"), [], Decimal("1000.01"))
    assert raised.value.remaining == Decimal("1000.00")


def test_several_credits_whose_sum_would_exceed_the_invoice_are_refused() -> None:
    # 1000.00 - (400.00 + 500.00) = 100.00 left; 100.01 is one cent too many
    with pytest.raises(CreditAboveInvoice, match=r": 100\.00 ") as raised:
        check_credit_note(Decimal("1000.00"), [Decimal("400.00"), Decimal("500.00")], Decimal("100.01"))
    assert raised.value.remaining == Decimal("100.00")
    assert isinstance(raised.value, ValueError)


def test_nothing_remains_once_fully_credited() -> None:
    with pytest.raises(CreditAboveInvoice) as raised:
        check_credit_note(Decimal("1000.00"), [Decimal("1000.00")], Decimal("0.01"))
    assert raised.value.remaining == Decimal(0)


@pytest.mark.parametrize("amount", [Decimal(0), Decimal("-10.00")])
def test_a_non_positive_credit_is_refused(amount: Decimal) -> None:
    with pytest.raises(ValueError, match="positive") as raised:
        check_credit_note(Decimal("1000.00"), [], amount)
    assert not isinstance(raised.value, CreditAboveInvoice)


def test_a_credit_in_fractions_of_a_cent_is_refused() -> None:
    with pytest.raises(ValueError, match="cents"):
        check_credit_note(Decimal("1000.00"), [], Decimal("10.005"))


def test_an_earlier_non_positive_credit_is_refused() -> None:
    with pytest.raises(ValueError, match="earlier credit"):
        check_credit_note(Decimal("1000.00"), [Decimal("-500.00")], Decimal("100.00"))


@given(
    amounts=st.lists(st.decimals(min_value=0, max_value=10**6, places=2), min_size=1, max_size=8),
    data=st.data(),
)
def test_altering_any_amount_breaks_the_chain_exactly_there(amounts: list[Decimal], data: st.DataObject) -> None:
    rows = chained([invoice(f"NF-{i:04d}", str(a)) for i, a in enumerate(amounts)])
    assert verify_chain(rows).ok
    target = data.draw(st.integers(0, len(rows) - 1))
    stored, document = rows[target]
    rows[target] = (stored, {**document, "total": document["total"] + Decimal("0.01")})
    assert verify_chain(rows).first_broken == target

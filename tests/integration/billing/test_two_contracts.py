"""Two contracts, each with a measurement, an invoice, a credit note and a dispute: the client of one never sees the
other's, neither in the portal's billing tab nor through any billing route of the API (by the other's code, or by
its own code with the other's numbers), while each client sees its own (so the checks could fail)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from ops.billing.disputes import services as disputes
from ops.billing.invoices import services as invoices
from ops.db import utcnow
from tests.helpers import bearer, load_reference, token
from tests.integration.billing.factories import measurement

Client = AsyncTestClient[Litestar]
MONTH = "2026-10"
# A string only each contract's billing holds: in a line, a credit note's reason and a dispute's description.
MARKS = {"reference": "refbill5512", "other": "othbill8830"}


async def _billed(db: Any, code: str) -> dict[str, int]:
    """The contract's October approved with a marked line, invoiced, credited once and disputed."""
    mark = MARKS[code]
    lines = (
        ("positions", f"Customer care {mark}", Decimal("15"), "position-month", Decimal("9800.00")),
        ("reinforcement", "Reinforcement shift 1", Decimal("8"), "agent-hour", Decimal("62.00")),
    )
    async with db.begin() as session:
        await measurement(session, contract=code, month=MONTH, lines=lines)
        issued = await invoices.issue_invoice(session, code=code, month=MONTH, actor="test")
        note = await invoices.issue_credit_note(
            session, code=code, invoice_number=issued.invoice.number, amount=Decimal("10.00"), reason=mark, actor="t"
        )
        now = utcnow()
        dispute = await disputes.open_dispute(
            session,
            code=code,
            origin="manual",
            description=f"dispute {mark}",
            disputed=Decimal("100.00"),
            billed=None,
            invoice_number=issued.invoice.number,
            month=None,
            line_position=None,
            ticket_id=None,
            audit_code=None,
            actor="test",
            today=now.date(),
            now=now,
        )
    return {"invoice": issued.invoice.number, "credit_note": note.number, "dispute": dispute.id}


def _api_paths(code: str, ids: dict[str, int]) -> list[str]:
    base = f"/api/contracts/{code}"
    return [
        f"{base}/measurements",
        f"{base}/measurements/{MONTH}",
        f"{base}/measurements/{MONTH}/document?format=json",
        f"{base}/invoices",
        f"{base}/invoices/{ids['invoice']}",
        f"{base}/invoices/{ids['invoice']}/document?format=html",
        f"{base}/disputes",
        f"{base}/disputes?open=true",
        f"{base}/disputes/{ids['dispute']}",
    ]


async def test_the_client_of_one_contract_never_sees_the_others_billing(client: Client, db: Any) -> None:
    await load_reference(db)
    await load_reference(db, code="other")
    ids = {code: await _billed(db, code) for code in ("reference", "other")}
    assert ids["reference"]["invoice"] != ids["other"]["invoice"]  # one provider-wide sequence
    tokens = {code: bearer(await token(db, "client", code)) for code in ids}

    for code, theirs in (("reference", "other"), ("other", "reference")):
        mine, foreign = MARKS[code], MARKS[theirs]
        headers = tokens[code]
        # The portal's billing tab: its own measurement, invoice, credit note and dispute; nothing of the other.
        tab = await client.get("/portal/billing", headers=headers)
        assert tab.status_code == 200
        assert mine in tab.text and f"dispute {mine}" in tab.text and foreign not in tab.text
        assert f'data-invoice="{ids[code]["invoice"]}"' in tab.text
        assert f'data-invoice="{ids[theirs]["invoice"]}"' not in tab.text
        other_tab = await client.get("/portal/billing", params={"contract": theirs}, headers=headers)
        assert other_tab.status_code == 404 and foreign not in other_tab.text

        # Every billing read of the API: its own answers and carries its mark; the other's code is not found.
        for path in _api_paths(code, ids[code]):
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 200, (path, answer.text[:200])
            assert foreign not in answer.text, path
        for path in _api_paths(theirs, ids[theirs]):
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 404, (path, answer.status_code)
            assert foreign not in answer.text, path
        # Its own code with the other's numbers: not found either.
        base = f"/api/contracts/{code}"
        for path in (f"{base}/invoices/{ids[theirs]['invoice']}", f"{base}/disputes/{ids[theirs]['dispute']}"):
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 404 and foreign not in answer.text, path
        listed = await client.get(f"{base}/disputes", headers=headers)
        assert [d["id"] for d in listed.json()] == [ids[code]["dispute"]]
        numbers = {(i["kind"], i["number"]) for i in (await client.get(f"{base}/invoices", headers=headers)).json()}
        assert numbers == {("invoice", ids[code]["invoice"]), ("credit_note", ids[code]["credit_note"])}

        # Nor can it act on the other's: open a dispute on it, or contest its measurement.
        body = {"origin": "manual", "description": "x", "disputed": "1.00", "invoice_number": ids[theirs]["invoice"]}
        assert (await client.post(f"/api/contracts/{theirs}/disputes", json=body, headers=headers)).status_code == 404
        own_code = await client.post(f"{base}/disputes", json=body, headers=headers)
        assert own_code.status_code == 404  # the other's invoice number is no invoice of its own contract
        form = {"contract": theirs, "invoice": str(ids[theirs]["invoice"]), "description": "x", "disputed": "1,00"}
        assert (await client.post("/portal/billing/disputes", data=form, headers=headers)).status_code == 404

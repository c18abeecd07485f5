"""Who may call what: every route of the app without a token, with each role, and with the other
contract's tokens, against one app holding two contracts' data.

The routes come from `app.routes`, so a new route is covered the day it is added: it fails here
until its path parameters are in PATH_PARAMS and its roles are in ALLOWED.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from ops.app import PUBLIC_PATHS, create_app
from ops.auth import Role, issue_token
from ops.auth_models import ApiToken
from ops.billing.disputes.models import Dispute
from ops.config import Settings
from ops.contracts.models import Queue
from ops.contracts.services import get_contract
from ops.db import utcnow
from ops.demo.prepare import store_voice_month
from ops.queues.assignment.agents import create_agent
from ops.queues.intake.services import create_ticket
from ops.queues.models import Incident, Ticket
from ops.reports.models import ReportSend, StoredReport
from ops.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_token
from ops.staffing.planning.models import OnCallShift, StaffingPlan
from tests.helpers import load_reference

# Every async test shares the module's event loop, where the one app and its data live.
in_module_loop = pytest.mark.asyncio(loop_scope="module")

# Strings only the one contract's data holds: seeing one in an answer is seeing that contract's data.
REF, OTHER = "refmark7731", "othmark4410"
TODAY = date(2026, 3, 2)  # the voice month then spans February 2026
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
WEEK = date(2026, 2, 23)

# Routes anyone may call. Adding one here is a decision: a route left out must answer 401 to a stranger.
PUBLIC_ROUTES = {
    "GET /health/live",
    "GET /health/ready",
    "GET /login",
    "POST /login",
    "POST /logout",
    "POST /lang",
    "GET /vendor/plotly.min.js",
    "POST /api/webhooks/crm",  # signed with the contract's HMAC secret instead of a token
    "GET /static/{file_path:path}",
    "GET /schema",
    "GET /schema/swagger",
    "GET /schema/{path:str}",
    "GET /schema/openapi.json",
    "GET /schema/oauth2-redirect.html",
}

STAFF: frozenset[Role] = frozenset({"manager", "supervisor"})
EVERYONE: frozenset[Role] = frozenset({"manager", "supervisor", "agent", "client"})
# operation id -> the roles that may call it (the developers' guide's bar, written down once).
ALLOWED: dict[str, frozenset[Role]] = {
    "ListContracts": EVERYONE,
    "GetContract": EVERYONE,
    "ListContractChanges": STAFF,
    "LoadContract": frozenset({"manager"}),
    "DeleteContract": frozenset({"manager"}),
    "ComputeStaffingPlan": frozenset({"manager"}),
    "GetStaffingForecast": STAFF,
    "GetStaffingRequirement": STAFF,
    "GetStaffingPlan": STAFF,
    "StaffingWhatIf": STAFF,
    "ConfirmPlanExecution": frozenset({"manager"}),
    "GetPlanExecution": STAFF,
    "AddOnCallShift": frozenset({"manager"}),
    "EndOnCallShift": frozenset({"manager"}),
    "ListOnCallShifts": STAFF,
    "CreateTicket": frozenset({"manager", "supervisor", "client"}),
    "CreateTicketsBulk": frozenset({"manager", "supervisor", "client"}),
    "ListTickets": EVERYONE,
    "GetTicket": EVERYONE,
    "ListAgents": STAFF,
    "GetMyAgent": frozenset({"agent"}),
    "SetMyAgentStatus": frozenset({"agent"}),
    "ForceAgentStatus": frozenset({"supervisor"}),
    "ListAgentEvents": STAFF,
    "NextTicket": frozenset({"agent"}),
    "ListIncidents": EVERYONE,
    "UpdateIncident": STAFF,
    "ResolveIncident": STAFF,
    "GetTicketWork": frozenset({"agent", "supervisor", "manager"}),
    "ActOnTicket": frozenset({"agent", "supervisor"}),
    "AssignTicket": frozenset({"supervisor"}),
    "ActOnTicketsInBulk": frozenset({"supervisor"}),
    "GetSlaReport": frozenset({"manager", "supervisor", "client"}),
    "ListDeliveredReports": frozenset({"manager", "supervisor", "client"}),
    "DownloadDeliveredReport": frozenset({"manager", "supervisor", "client"}),
    "ListReportSends": STAFF,
    "GetIndexSeries": STAFF,
    "SetIndexMonth": frozenset({"manager"}),
    "GetReadjustment": frozenset({"manager", "supervisor", "client"}),
    "ApplyReadjustment": frozenset({"manager"}),
    "GetReadjustmentNotice": frozenset({"manager", "supervisor", "client"}),
    "ListMeasurements": frozenset({"manager", "supervisor", "client"}),
    "GetMeasurement": frozenset({"manager", "supervisor", "client"}),
    "GetMeasurementDocument": frozenset({"manager", "supervisor", "client"}),
    "DraftMeasurement": frozenset({"manager"}),
    "SubmitMeasurement": frozenset({"manager"}),
    "ApproveMeasurement": frozenset({"client", "manager"}),
    "ContestMeasurement": frozenset({"client"}),
    "AddBillingAdjustment": frozenset({"manager"}),
    "ListInvoices": frozenset({"manager", "supervisor", "client"}),
    "GetInvoice": frozenset({"manager", "supervisor", "client"}),
    "GetInvoiceDocument": frozenset({"manager", "supervisor", "client"}),
    "IssueInvoice": frozenset({"manager"}),
    "IssueCreditNote": frozenset({"manager"}),
    "VoidInvoice": frozenset({"manager"}),
    "RecordPayment": frozenset({"manager"}),
    "RecordNfse": frozenset({"manager"}),
    "VerifyInvoiceChain": frozenset({"manager"}),
    "AuditInvoice": frozenset({"manager", "supervisor", "client"}),
    "ListDisputes": frozenset({"manager", "supervisor", "client"}),
    "GetDispute": frozenset({"manager", "supervisor", "client"}),
    "ListDisputeAlerts": STAFF,
    "OpenDispute": frozenset({"manager", "client"}),
    "AdvanceDispute": frozenset({"manager", "client"}),
    "ProjectRecovery": frozenset({"manager", "client"}),
    "PostQueueStats": frozenset({"telephony"}),
    "GetWallboard": STAFF,
    # pages
    "Home": EVERYONE,
    "StaffingPage": frozenset({"manager"}),
    "StaffingAddOnCall": frozenset({"manager"}),
    "StaffingEndOnCall": frozenset({"manager"}),
    "StaffingConfirmWeek": frozenset({"manager"}),
    "WorkHome": frozenset({"agent", "supervisor"}),
    "WorkNextTicket": frozenset({"agent", "supervisor"}),
    "WorkSetStatus": frozenset({"agent", "supervisor"}),
    "WorkQueue": frozenset({"agent", "supervisor", "manager"}),
    "WorkTicket": frozenset({"agent", "supervisor", "manager"}),
    "WorkTicketAct": frozenset({"agent", "supervisor"}),
    "SupervisorView": frozenset({"supervisor", "manager"}),
    "WorkEvents": frozenset({"agent", "supervisor", "manager"}),
    "SupervisorForceStatus": frozenset({"supervisor"}),
    "SupervisorBulk": frozenset({"supervisor"}),
    "SupervisorExtendIncident": frozenset({"supervisor"}),
    "SupervisorResolveIncident": frozenset({"supervisor"}),
    "SupervisorSaveView": frozenset({"supervisor"}),
    "SupervisorDeleteView": frozenset({"supervisor"}),
    "PortalPage": frozenset({"client", "manager", "supervisor"}),
    "BillingPage": frozenset({"manager"}),
    "BillingDraft": frozenset({"manager"}),
    "BillingSubmit": frozenset({"manager"}),
    "BillingRecordApproval": frozenset({"manager"}),
    "BillingIssueInvoice": frozenset({"manager"}),
    "BillingRecordPayment": frozenset({"manager"}),
    "BillingIssueCreditNote": frozenset({"manager"}),
    "BillingRecordNfse": frozenset({"manager"}),
    "BillingVoidInvoice": frozenset({"manager"}),
    "BillingOpenDispute": frozenset({"manager"}),
    "BillingAdvanceDispute": frozenset({"manager"}),
    "PortalBillingPage": frozenset({"client", "manager", "supervisor"}),
    "PortalApproveMeasurement": frozenset({"client"}),
    "PortalContestMeasurement": frozenset({"client"}),
    "PortalOpenDispute": frozenset({"client"}),
    "PortalSubmitDispute": frozenset({"client"}),
    "WallboardPage": STAFF,
}
# A manager token scoped to one contract is refused these too.
PROVIDER_ONLY = {"LoadContract", "DeleteContract", "SetIndexMonth", "ApplyReadjustment", "VerifyInvoiceChain"}
NEEDS_AGENT = {"WorkNextTicket", "WorkSetStatus"}  # a supervisor token not signed to an agent is refused

# Path parameter -> the reference contract's object it names (a key of World.ref). Where one name
# means different objects on different paths, the first matching path prefix decides ("" = any).
PATH_PARAMS: dict[str, str | dict[str, str]] = {
    "code": {"/work/queues/": "queue", "": "contract"},
    "queue": "queue",
    "ticket_id": "ticket",
    "agent_id": "agent",
    "incident_id": "incident",
    "id": {
        "/api/incidents/": "incident",
        "/api/reports/": "report",
        "/api/staffing/": "oncall",
        "/staffing/": "oncall",
        "/api/contracts/": "dispute",
    },
    "week": "week",
    "action": "action",
    "index": "index",
    "month": "month",
    "on": "anniversary",
    "number": "invoice",
}
# Objects that belong to the reference contract alone (queue codes and weeks are shared by all).
OWNED = {"contract", "ticket", "incident", "report", "oncall", "dispute", "agent"}


@dataclass(frozen=True)
class Call:
    """How the other contract's callers exercise a route: query, body, and what naming the
    reference contract there must answer (None: no fixed status, only no reference data)."""

    query: dict[str, str] = field(default_factory=dict)
    json: Any = None
    form: dict[str, str] | None = None
    raw: bytes | None = None
    names_reference: int | None = None


def _ticket(mark: str, external_id: str, contract: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "external_id": external_id,
        "channel": "email",
        "subject": f"Cobrança em dobro {mark}",
        "body": f"Fui cobrado duas vezes na fatura de fevereiro ({mark}).",
        "customer": {"id": f"c-{mark}", "name": f"Cliente {mark}", "area": "Zona Norte"},
    }
    if contract:
        data["contract"] = contract
    return data


CALLS: dict[str, Call] = {
    "PostQueueStats": Call(
        json={
            "contract": "reference",
            "queues": [
                {
                    "queue": "care",
                    "calls_waiting": 1,
                    "longest_wait_seconds": 1,
                    "agents_logged_in": 1,
                    "agents_available": 1,
                    "agents_on_call": 0,
                    "agents_paused": 0,
                    "answered": 1,
                    "abandoned": 0,
                    "answered_within": 1,
                }
            ],
        },
        names_reference=404,
    ),
    "CreateTicket": Call(json=_ticket("intruder", "intruder-1", "reference"), names_reference=422),
    "CreateTicketsBulk": Call(json={"contract": "reference", "tickets": [_ticket("intruder", "intruder-2")]}),
    "ListTickets": Call(query={"contract": "reference"}),
    "GetSlaReport": Call(query={"from": "2026-02-01", "to": "2026-02-28"}),
    "GetStaffingForecast": Call(query={"week": WEEK.isoformat()}),
    "GetStaffingRequirement": Call(query={"week": WEEK.isoformat()}),
    "ComputeStaffingPlan": Call(json={"week": WEEK.isoformat()}),
    "StaffingWhatIf": Call(json={"week": WEEK.isoformat()}),
    "UpdateIncident": Call(json={"forecast_end": (NOW + timedelta(hours=9)).isoformat()}),
    "ActOnTicket": Call(json={"version": 1, "message": "intruder note"}),
    "AssignTicket": Call(json={"agent": 1}),
    "ActOnTicketsInBulk": Call(json={"action": "transfer", "tickets": [1], "queue": "bo_helpdesk"}),
    "SetMyAgentStatus": Call(json={"status": "available"}),
    "ForceAgentStatus": Call(json={"status": "busy", "note": "intruder"}),
    "SupervisorForceStatus": Call(form={"status": "busy", "note": "intruder"}),
    "SupervisorBulk": Call(form={"action": "transfer", "queue": "bo_helpdesk", "ticket_1": "1"}),
    "SupervisorExtendIncident": Call(form={"forecast_end": "2026-03-02T20:30"}),
    "LoadContract": Call(raw=b"{}"),
    "WorkNextTicket": Call(form={"queue": "bo_care"}),
    "WorkSetStatus": Call(form={"status": "available"}),
    "WorkTicketAct": Call(form={"action": "note", "version": "1", "message": "intruder note"}),
    "PortalPage": Call(query={"contract": "reference"}, names_reference=404),
    "StaffingPage": Call(query={"contract": "reference", "week": WEEK.isoformat()}),
    "SetIndexMonth": Call(json={"pct": "0.5", "source": "intruder"}),
    "ApproveMeasurement": Call(json={}),
    "ContestMeasurement": Call(json={"lines": {"1": "intruder"}}),
    "AddBillingAdjustment": Call(json={"amount": "10.00", "description": "intruder"}),
    "IssueInvoice": Call(json={"month": "2026-01"}),
    "IssueCreditNote": Call(json={"amount": "1.00", "reason": "intruder"}),
    "VoidInvoice": Call(json={"reason": "intruder"}),
    "RecordPayment": Call(json={"paid_on": "2026-02-01", "amount": "1.00"}),
    "RecordNfse": Call(json={"number": "1", "verification_code": "x", "value": "1.00"}),
    "ListOnCallShifts": Call(query={"month": "2026-02"}),
    "AuditInvoice": Call(raw=b"description,kind,quantity,unit_price,amount\nCompetencia 01/2026,period,,,\n"),
    "OpenDispute": Call(json={"origin": "manual", "description": "intruder", "disputed": "1.00"}),
    "AdvanceDispute": Call(json={"to": "submitted"}),
    "ProjectRecovery": Call(json={"lines": [{"description": "intruder", "paid_on": "2026-01-10", "amount": "1.00"}]}),
    "AddOnCallShift": Call(json={"start": "2026-02-07T08:00:00-03:00", "end": "2026-02-07T18:00:00-03:00"}),
    "EndOnCallShift": Call(json={"at": "2026-02-14T12:00:00-03:00"}),
    "ConfirmPlanExecution": Call(json={"skip": [], "add": []}),
    # The pages name the contract in the form: the other contract's manager meets "no contract" (404).
    "StaffingAddOnCall": Call(
        form={
            "contract": "reference",
            "week": WEEK.isoformat(),
            "start": "2026-02-07T08:00",
            "end": "2026-02-07T18:00",
        },
        names_reference=404,
    ),
    "StaffingEndOnCall": Call(form={"contract": "reference", "at": "2026-02-14T12:00"}, names_reference=404),
    "StaffingConfirmWeek": Call(form={"contract": "reference", "week_of": WEEK.isoformat()}, names_reference=404),
    # The billing page falls back to the manager's own contract; its forms and the portal's name the contract.
    "BillingPage": Call(query={"contract": "reference", "month": "2026-01"}),
    "BillingDraft": Call(form={"contract": "reference", "month": "2026-01"}, names_reference=404),
    "BillingSubmit": Call(form={"contract": "reference", "month": "2026-01"}, names_reference=404),
    "BillingRecordApproval": Call(
        form={"contract": "reference", "month": "2026-01", "by": "intruder"}, names_reference=404
    ),
    "BillingIssueInvoice": Call(form={"contract": "reference", "month": "2026-01"}, names_reference=404),
    "BillingRecordPayment": Call(
        form={"contract": "reference", "month": "2026-01", "invoice": "1", "paid_on": "2026-02-01", "amount": "1,00"},
        names_reference=404,
    ),
    "BillingIssueCreditNote": Call(
        form={"contract": "reference", "month": "2026-01", "invoice": "1", "amount": "1,00", "reason": "intruder"},
        names_reference=404,
    ),
    "BillingRecordNfse": Call(
        form={
            "contract": "reference",
            "month": "2026-01",
            "invoice": "1",
            "nfse_number": "1",
            "verification_code": "x",
            "value": "1,00",
        },
        names_reference=404,
    ),
    "BillingVoidInvoice": Call(
        form={"contract": "reference", "month": "2026-01", "invoice": "1", "reason": "intruder"}, names_reference=404
    ),
    "BillingOpenDispute": Call(
        form={"contract": "reference", "month": "2026-01", "description": "intruder", "disputed": "1,00"},
        names_reference=404,
    ),
    "BillingAdvanceDispute": Call(
        form={"contract": "reference", "month": "2026-01", "dispute": "1", "to": "refused", "reason": "intruder"},
        names_reference=404,
    ),
    "PortalBillingPage": Call(query={"contract": "reference"}, names_reference=404),
    "PortalApproveMeasurement": Call(form={"contract": "reference", "month": "2026-01"}, names_reference=404),
    "PortalContestMeasurement": Call(
        form={"contract": "reference", "month": "2026-01", "contest_1": "1", "reason_1": "intruder"},
        names_reference=404,
    ),
    "PortalOpenDispute": Call(
        form={"contract": "reference", "invoice": "1", "description": "intruder", "disputed": "1,00"},
        names_reference=404,
    ),
    "PortalSubmitDispute": Call(form={"contract": "reference", "dispute": "1", "state": "opened"}, names_reference=404),
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    operation: str
    public: bool

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api")


def app_routes(app: Litestar) -> list[Route]:
    public_path = re.compile("|".join(PUBLIC_PATHS))
    out = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                public = bool(handler.opt.get("exclude_from_auth")) or bool(public_path.match(route.path))
                name = handler.operation_id if isinstance(handler.operation_id, str) else handler.handler_name
                out.append(Route(method, route.path, name, public))
    return sorted(out, key=lambda r: r.id)


# Building the app opens no connection: enough to list its routes at collection time.
ROUTES = app_routes(create_app(Settings(database_url="sqlite+aiosqlite://", scheduler="off", database_pool=False)))
GUARDED = [r for r in ROUTES if not r.public]


def fill(route: Route, values: dict[str, Any]) -> tuple[str, set[str]]:
    """The route's path with the reference contract's objects, and which objects it names."""
    named: set[str] = set()

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        spec = PATH_PARAMS.get(name)
        key = (
            spec
            if isinstance(spec, str) or spec is None
            else next((v for prefix, v in spec.items() if route.path.startswith(prefix)), None)
        )
        if key is None or key not in values:
            pytest.fail(
                f"{route.id}: no value for path parameter {name!r}. Add it to PATH_PARAMS in "
                f"tests/integration/test_access_matrix.py (parameter -> the reference contract's object "
                f"it names, created in the `world` fixture), so that this route is checked too."
            )
        named.add(key)
        return str(values[key])

    return re.sub(r"\{(\w+)(?::[^}]*)?\}", one, route.path), named


@dataclass
class World:
    client: AsyncTestClient[Litestar]
    db: Any
    ref: dict[str, Any]
    other: dict[str, Any]
    tokens: dict[str, str]  # "<contract>:<role>", "revoked" and "expired"

    async def call(self, route: Route, token: str | None, *, values: dict[str, Any], call: Call | None) -> Any:
        path, _ = fill(route, values)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
        if call is not None:
            kwargs["params"] = call.query
            if call.json is not None:
                kwargs["json"] = call.json
            elif call.form is not None:
                kwargs["data"] = call.form
            elif call.raw is not None:
                kwargs["content"] = call.raw
        return await self.client.request(route.method, path, **kwargs)


async def _seed(db: Any, code: str, mark: str, seed: int, reports_dir: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """One contract's data: voice intervals, a ticket in an outage, an agent, a delivered report and
    its send, a saved plan; and a token of each role scoped to the contract."""
    async with db.begin() as session:
        contract = await get_contract(session, code=code, principal=None)
        await store_voice_month(session, contract=contract, today=TODAY, seed=seed)
        ticket, _, _ = await create_ticket(
            session, contract_code=code, data=_ticket(mark, f"{code}-1"), source_kind="api", now=NOW, push=False
        )
        queue = await session.get(Queue, ticket.queue_id)
        assert queue is not None
        incident = Incident(
            contract_id=contract.id, area=f"area {mark}", status="open", opened_at=NOW, note=f"outage {mark}"
        )
        session.add(incident)
        await session.flush()
        ticket.incident_id = incident.id
        agent, agent_token = await create_agent(
            session, contract_code=code, name=f"Agent {mark}", skills={queue.code: 1, "bo_helpdesk": 2}
        )
        content = f"%PDF-1.4 report of {mark}".encode()
        relative = f"{code}/{mark}-2026-02.pdf"
        (reports_dir / code).mkdir(parents=True)
        (reports_dir / relative).write_bytes(content)
        report = StoredReport(
            contract_id=contract.id,
            delivery="monthly",
            period_start=date(2026, 2, 1),
            period_end=date(2026, 2, 28),
            format="pdf",
            media_type="application/pdf",
            filename=f"{mark}-2026-02.pdf",
            path=relative,
            size=len(content),
            checksum=hashlib.sha256(content).hexdigest(),
            data_cutoff=NOW,
            summary={"note": mark},
        )
        session.add(report)
        await session.flush()
        session.add(
            ReportSend(
                contract_id=contract.id,
                delivery="monthly",
                period_start=date(2026, 2, 1),
                period_end=date(2026, 2, 28),
                channel="email",
                target=f"{mark}@client.example",
                report_ids=[report.id],
                status="sent",
                attempts=1,
            )
        )
        session.add(
            StaffingPlan(
                contract_id=contract.id,
                week_start=WEEK,
                params={"note": mark},
                result={"note": mark, "shifts": []},
                cost=Decimal("100.00"),
                lp_bound=None,
                status="optimal",
            )
        )
        dispute = Dispute(
            contract_id=contract.id,
            origin="manual",
            description=f"dispute {mark}",
            state="opened",
            billed=Decimal("10.00"),
            disputed=Decimal("10.00"),
            undisputed=Decimal("0.00"),
            opened_by="test",
            state_since=TODAY,
            deadline=TODAY + timedelta(days=10),
            follow_up_on=TODAY + timedelta(days=8),
        )
        session.add(dispute)
        oncall = OnCallShift(
            contract_id=contract.id,
            start=datetime(2026, 2, 14, 11, 0, tzinfo=UTC),
            scheduled_end=datetime(2026, 2, 14, 21, 0, tzinfo=UTC),
            specialists=1,
            note=f"on call {mark}",
            created_by="test",
        )
        session.add(oncall)
        await session.flush()
        tokens = {
            f"{code}:agent": agent_token,
            f"{code}:client": await issue_token(session, name=f"client {mark}", role="client", contract_id=contract.id),
            f"{code}:supervisor": await issue_token(
                session, name=f"sup {mark}", role="supervisor", contract_id=contract.id
            ),
            f"{code}:manager": await issue_token(session, name=f"mgr {mark}", role="manager", contract_id=contract.id),
            f"{code}:telephony": await issue_token(
                session, name=f"pbx {mark}", role="telephony", contract_id=contract.id
            ),
        }
        values = {
            "contract": code,
            "queue": queue.code,
            "ticket": ticket.id,
            "incident": incident.id,
            "report": report.id,
            "week": WEEK.isoformat(),
            "action": "note",
            "agent": agent.id,
            "index": "IPCA",
            "month": "2026-01",
            "anniversary": "2027-02-01",  # the reference contract's first readjustment
            "invoice": 1,
            "oncall": oncall.id,
            "dispute": dispute.id,
        }
    return values, tokens


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    tmp = tmp_path_factory.mktemp("access")
    shutil.copy(sqlite_template, tmp / "ops.sqlite3")
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp / 'ops.sqlite3'}",
        reports_dir=tmp / "reports",
        scheduler="off",
        database_pool=False,
        # Every route is called with wrong tokens here: the per-address limit (tested in test_rate_limits) would
        # turn the later 401s into 429s.
        bad_tokens_per_minute=1_000_000,
        live_stream_seconds=0,  # /work/events answers its opening events and ends, for a test client that waits
    )
    app = create_app(settings)
    db = app.state.sessionmaker
    await load_reference(db)
    await load_reference(db, code="other")
    ref, ref_tokens = await _seed(db, "reference", REF, 1, settings.reports_dir)
    other, other_tokens = await _seed(db, "other", OTHER, 2, settings.reports_dir)
    async with db.begin() as session:
        tokens = {
            **ref_tokens,
            **other_tokens,
            # provider-wide staff: contract None
            "all:manager": await issue_token(session, name="provider manager", role="manager", contract_id=None),
            "all:supervisor": await issue_token(session, name="provider sup", role="supervisor", contract_id=None),
            "revoked": await issue_token(session, name="gone", role="manager", contract_id=None),
            "expired": await issue_token(session, name="lapsed", role="manager", contract_id=None),
        }
        await session.execute(update(ApiToken).where(ApiToken.name == "gone").values(revoked_at=NOW))
        await session.execute(
            update(ApiToken).where(ApiToken.name == "lapsed").values(expires_at=utcnow() - timedelta(seconds=1))
        )
    async with AsyncTestClient(app=app) as client:
        yield World(client, db, ref, other, tokens)


def leaked(response: httpx.Response) -> list[str]:
    """The reference contract's data found in an answer (body or headers)."""
    text = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    found = [REF] if REF in text else []
    found += re.findall(r'"(?:contract|code)"\s*:\s*"reference"', text)
    return found


# --- the route list itself ----------------------------------------------------------------------------


def test_only_the_known_routes_are_public() -> None:
    public = {r.id for r in ROUTES if r.public}
    assert public - PUBLIC_ROUTES == set(), (
        "these routes answer without a token: remove exclude_from_auth / the PUBLIC_PATHS match, "
        "or, if they are meant to be public, add them to PUBLIC_ROUTES"
    )
    assert PUBLIC_ROUTES - public == set(), "PUBLIC_ROUTES names routes that are gone or now need a token"


def test_every_guarded_route_has_its_roles_written_down() -> None:
    missing = sorted({r.operation for r in GUARDED} - set(ALLOWED))
    assert not missing, f"add the roles allowed on {missing} to ALLOWED in tests/integration/test_access_matrix.py"


# --- (a) no token, a wrong token, a revoked token -> 401 ------------------------------------------------


@in_module_loop
@pytest.mark.parametrize("route", GUARDED, ids=lambda r: r.id)
async def test_strangers_are_refused(world: World, route: Route) -> None:
    for token in (None, "ops_not-a-token", world.tokens["revoked"], world.tokens["expired"]):
        response = await world.call(route, token, values=world.ref, call=CALLS.get(route.operation))
        if route.is_api or route.method != "GET":
            assert response.status_code == 401, (route.id, token is not None, response.status_code, response.text)
        else:  # a page sends the browser to the sign-in form
            assert response.status_code in (302, 303, 307), (route.id, response.status_code)
            assert response.headers["location"].startswith("/login?next=")
        assert not leaked(response), (route.id, leaked(response))


# --- (b) the other contract's callers -> 404 / 403, and never the reference contract's data --------------


@in_module_loop
@pytest.mark.parametrize("route", GUARDED, ids=lambda r: r.id)
async def test_other_contract_sees_nothing_of_reference(world: World, route: Route) -> None:
    _, named = fill(route, world.ref)
    call = CALLS.get(route.operation)
    for role in ("client", "agent", "supervisor", "manager", "telephony"):
        response = await world.call(route, world.tokens[f"other:{role}"], values=world.ref, call=call)
        status = response.status_code
        where = (route.id, f"other:{role}", status, response.text[:300])
        assert status < 500, where
        assert not leaked(response), (*where, leaked(response))
        refused = route.operation in PROVIDER_ONLY or (route.operation in NEEDS_AGENT and role != "agent")
        if role not in ALLOWED[route.operation] or refused:
            assert status == 403, where
        elif named & OWNED:
            assert status == 404, where
        elif call is not None and call.names_reference is not None:
            assert status == call.names_reference, where


@in_module_loop
async def test_other_contract_cannot_file_tickets_into_reference(world: World) -> None:
    async def count() -> int:
        async with world.db() as session:
            query = select(func.count()).select_from(Ticket).where(Ticket.external_id.like("intruder-%"))
            return int((await session.execute(query)).scalar_one())

    headers = {"Authorization": f"Bearer {world.tokens['other:client']}"}
    one = await world.client.post("/api/tickets", json=_ticket("intruder", "intruder-3", "reference"), headers=headers)
    assert one.status_code == 422
    assert one.json()["errors"] == [{"field": "contract", "problem": "unknown contract 'reference'"}]
    bulk = await world.client.post(
        "/api/tickets/bulk", json={"contract": "reference", "tickets": [_ticket("x", "intruder-4")]}, headers=headers
    )
    assert bulk.status_code == 200
    assert bulk.json()["rejected"] == 1
    assert await count() == 0


@in_module_loop
async def test_an_own_contract_path_does_not_reach_the_other_contracts_objects(world: World) -> None:
    """The other contract's code in the path with the reference contract's ids: still nothing."""
    headers = {"Authorization": f"Bearer {world.tokens['other:manager']}"}
    report = await world.client.get(f"/api/reports/other/delivered/{world.ref['report']}/file", headers=headers)
    assert report.status_code == 404
    own = await world.client.get(f"/api/reports/other/delivered/{world.other['report']}/file", headers=headers)
    assert own.status_code == 200
    assert OTHER.encode() in own.content


@in_module_loop
async def test_markers_are_visible_to_their_own_contract(world: World) -> None:
    """The leak checks above could not pass by accident: the same routes show each contract its data."""
    checks = [
        ("client", "/api/tickets"),
        ("client", "/api/tickets/{ticket}"),
        ("client", "/api/incidents"),
        ("client", "/api/reports/{contract}/delivered"),
        ("client", "/api/contracts/{contract}/disputes"),
        ("supervisor", "/api/contracts/{contract}/disputes/{dispute}"),
        ("supervisor", "/api/agents"),
        ("supervisor", "/api/reports/{contract}/sends"),
        ("supervisor", "/api/staffing/{contract}/plans/{week}"),
        ("supervisor", "/api/staffing/{contract}/oncall?month=2026-02"),
        ("supervisor", "/supervisor"),
        ("client", "/portal"),
    ]
    for contract, values, mark in (("reference", world.ref, REF), ("other", world.other, OTHER)):
        for role, template in checks:
            path = template.format(**values)
            response = await world.client.get(
                path, headers={"Authorization": f"Bearer {world.tokens[f'{contract}:{role}']}"}
            )
            assert response.status_code == 200, (contract, role, path, response.text[:300])
            assert mark in response.text, (contract, role, path)
            assert (OTHER if mark == REF else REF) not in response.text, (contract, role, path)


# --- the pages, signed in with the other contract's cookies ----------------------------------------------


@in_module_loop
async def test_pages_show_the_other_contract_only_its_own(world: World) -> None:
    async def cookie(role: str) -> dict[str, str]:
        """Sign in through the form, as a browser does; the cookie then goes with each request by hand
        (the module's one client must not keep it, or the no-token checks would carry it)."""
        signed = await world.client.post(
            "/login", data={"token": world.tokens[f"other:{role}"], "next": "/"}, follow_redirects=False
        )
        value = signed.cookies[SESSION_COOKIE]
        world.client.cookies.clear()
        return {"Cookie": f"{SESSION_COOKIE}={value}", CSRF_HEADER: csrf_token(value)}

    agent, supervisor, manager, client = [await cookie(r) for r in ("agent", "supervisor", "manager", "client")]
    ticket, queue = world.other["ticket"], world.other["queue"]
    # The other contract's agent takes its ticket, so that its work pages have something of their own.
    await world.client.put("/api/agents/me/status", json={"status": "available"}, headers=agent)
    version = (await world.client.get(f"/api/tickets/{ticket}/work", headers=agent)).json()["version"]
    took = await world.client.post(f"/api/tickets/{ticket}/actions/take", json={"version": version}, headers=agent)
    assert took.status_code == 200, took.text

    shown = [
        (agent, "/work"),
        (agent, f"/work/queues/{queue}"),
        (agent, f"/work/tickets/{ticket}"),
        (supervisor, "/supervisor"),
        (supervisor, f"/work/queues/{queue}"),
        (manager, "/staffing"),
        (client, "/portal"),
        (client, "/portal?month=2026-02"),
    ]
    for headers, path in shown:
        response = await world.client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text[:300])
        assert OTHER in response.text, path
        assert REF not in response.text, path
    hidden = [
        (client, "/portal?contract=reference"),
        (manager, "/portal?contract=reference"),
        (supervisor, f"/work/tickets/{world.ref['ticket']}"),
        (manager, f"/work/tickets/{world.ref['ticket']}"),
        (client, "/portal/billing?contract=reference"),
        (manager, "/portal/billing?contract=reference"),
        (manager, f"/staffing?contract=reference&week={WEEK}"),  # not another contract shown in its place
        (manager, "/billing?contract=reference"),
    ]
    for headers, path in hidden:
        response = await world.client.get(path, headers=headers)
        assert response.status_code == 404, (path, response.status_code)
        assert REF not in response.text, path
    home = await world.client.get("/", headers=client, follow_redirects=False)
    assert home.headers["location"] == "/portal"


def browser_lands_on(location: str) -> str:
    """The host a browser on https://ops.example goes to after this Location header: it reads a
    backslash as "/" and drops tabs and newlines before resolving the URL."""
    cleaned = location.replace("\\", "/").replace("\t", "").replace("\n", "").replace("\r", "")
    return urlsplit(urljoin("https://ops.example/", cleaned)).netloc


@in_module_loop
async def test_sign_in_never_sends_the_browser_off_site(world: World) -> None:
    targets = ("//evil.example/", "/\\evil.example/", "/\t/evil.example/", "/\n/evil.example", "https://evil.example/")
    for target in targets:
        for path in ("/login", "/lang"):
            data = {"token": world.tokens["other:client"], "next": target, "lang": "en"}
            response = await world.client.post(path, data=data, follow_redirects=False)
            world.client.cookies.clear()
            assert response.status_code == 303, (path, target)
            assert browser_lands_on(response.headers["location"]) == "ops.example", (
                path,
                target,
                response.headers["location"],
            )
    kept = await world.client.post(
        "/login", data={"token": world.tokens["other:client"], "next": "/portal?month=2026-02"}, follow_redirects=False
    )
    world.client.cookies.clear()
    assert kept.headers["location"] == "/portal?month=2026-02"


# --- (c) each role of the reference contract: 403 where refused, through where allowed -------------------


@in_module_loop
@pytest.mark.parametrize("route", GUARDED, ids=lambda r: r.id)
async def test_roles_are_refused_where_they_do_not_belong(world: World, route: Route) -> None:
    # No query or body: a guard runs before parameters are read, so an allowed role gets 400/404/422
    # at worst, and a refused one 403.
    for role, key in (
        ("manager", "all:manager"),
        ("supervisor", "reference:supervisor"),
        ("agent", "reference:agent"),
        ("client", "reference:client"),
        ("telephony", "reference:telephony"),  # an integration's token: refused all but what it was made for
    ):
        response = await world.call(route, world.tokens[key], values=world.ref, call=None)
        where = (route.id, key, response.status_code, response.text[:300])
        if role in ALLOWED[route.operation] and not (route.operation in NEEDS_AGENT and role != "agent"):
            assert response.status_code not in (401, 403), where
            assert response.status_code < 500, where
        else:
            assert response.status_code == 403, where


# --- bad input: a clear 4xx, never a 500 --------------------------------------------------------------------

JUNK_QUERY = {
    "week": "2026-13-45",
    "from": "yesterday",
    "to": "31/02/2026",
    "month": "2026-99",
    "limit": "lots",
    "flagged": "perhaps",
    "contract": "\x00",
    "queue": "' OR 1=1 --",
    "status": "x" * 300,
    "volume_pct": "NaN",
    "aht_pct": "inf",
    "target": "-5",
}
JUNK_BODIES: list[tuple[str, bytes]] = [
    ("application/json", b"\xff{not json"),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b'{"version": "one", "week": 12, "status": {}, "forecast_end": "soon", "tickets": 7}'),
    ("application/x-www-form-urlencoded", b"version=abc&item=x&queue=%00&status=&action=zzz"),
]


@in_module_loop
@pytest.mark.parametrize("route", GUARDED, ids=lambda r: r.id)
async def test_bad_input_gets_a_clear_error(world: World, route: Route) -> None:
    allowed = ALLOWED[route.operation]
    key = next(
        k
        for role, k in (
            ("manager", "all:manager"),
            ("agent", "reference:agent"),
            ("supervisor", "reference:supervisor"),
            ("client", "reference:client"),
            ("telephony", "reference:telephony"),
        )
        if role in allowed
    )
    path, _ = fill(route, world.ref)
    headers = {"Authorization": f"Bearer {world.tokens[key]}"}
    call = CALLS.get(route.operation)
    variants: list[tuple[dict[str, str], str, bytes]] = [(JUNK_QUERY, "", b"")]
    if route.method != "GET":  # each bad body on its own, so that a bad query does not stop it first
        variants += [(call.query if call else {}, kind, body) for kind, body in JUNK_BODIES]
    for query, content_type, body in variants:
        response = await world.client.request(
            route.method,
            path,
            params=query,
            content=body or None,
            headers={**headers, "content-type": content_type} if content_type else headers,
            follow_redirects=False,
        )
        where = (route.id, key, body[:40], response.status_code, response.text[:300])
        assert response.status_code < 500, where
        if route.is_api and response.status_code >= 400:
            assert response.json()["detail"], where  # says what is wrong

"""HTTP endpoints of the contract domain."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody
from sqlalchemy.ext.asyncio import AsyncSession

from ops.auth import EVERYONE, Principal, requires
from ops.contracts import services
from ops.contracts.document import parse_contract
from ops.contracts.models import Contract
from ops.contracts.schemas import ChangeOut, ContractOut, ContractSummary, LoadResult, QueueOut


def contract_out(row: Contract) -> ContractOut:
    return ContractOut(
        code=row.code,
        client=row.client.name,
        object=row.object,
        value=row.value,
        currency=row.currency,
        signed_on=row.signed_on,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        readjustment_index=row.readjustment_index,
        anniversary=row.anniversary,
        timezone=row.timezone,
        queues=[
            QueueOut(
                code=q.code,
                name=q.name,
                kind=q.kind,
                channel=q.channel,
                base_positions=q.base_positions,
                calendar=q.calendar,
                sla=q.sla,
                reasons=[
                    {"code": r.code, "name": r.name, "procedure": r.procedure, "technical": r.technical}
                    for r in q.reasons
                ],
            )
            for q in row.queues
        ],
    )


class ContractController(Controller):
    path = "/api/contracts"
    tags = ("contracts",)

    @get("/", operation_id="ListContracts", guards=[requires(*EVERYONE)])
    async def list_contracts(
        self, request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession]
    ) -> list[ContractSummary]:
        rows = await services.list_contracts(db_session, principal=request.user)
        return [ContractSummary(r.code, r.client.name, r.object, r.starts_on, r.ends_on) for r in rows]

    @get("/{code:str}", operation_id="GetContract", guards=[requires(*EVERYONE)])
    async def get_contract(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
    ) -> ContractOut:
        return contract_out(await services.get_contract(db_session, code=code, principal=request.user))

    @get("/{code:str}/changes", operation_id="ListContractChanges", guards=[requires("manager", "supervisor")])
    async def changes(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
    ) -> list[ChangeOut]:
        rows = await services.contract_changes(db_session, code=code, principal=request.user)
        return [ChangeOut(r.changed_at.isoformat(), r.changed_by, r.source, r.changes) for r in rows]

    @post("/", operation_id="LoadContract", guards=[requires("manager")], status_code=200)
    async def load(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        body: RawBody,
    ) -> LoadResult:
        """Load a contract file (YAML or JSON body). The same file twice changes nothing."""
        if request.user.contract_id is not None:
            from litestar.exceptions import PermissionDeniedException

            raise PermissionDeniedException("loading contracts needs a provider-wide manager token")
        contract = parse_contract(body, source="request body")
        return await services.load_contract(
            db_session, contract=contract, source="api", actor=f"token:{request.user.name}"
        )

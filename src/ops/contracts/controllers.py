"""HTTP endpoints of the contract domain."""

from __future__ import annotations

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody
from sqlalchemy.ext.asyncio import AsyncSession

from ops import openapi
from ops.auth import EVERYONE, Principal, requires
from ops.contracts import services
from ops.contracts.document import parse_contract
from ops.contracts.models import Contract
from ops.contracts.schemas import ChangeOut, ContractFile, ContractOut, ContractSummary, LoadResult, QueueOut
from ops.http import to_struct


def contract_out(row: Contract) -> ContractOut:
    return to_struct(
        ContractOut,
        row,
        client=row.client.name,
        queues=[
            to_struct(
                QueueOut,
                q,
                reasons=[
                    {"code": r.code, "name": r.name, "procedure": r.procedure, "technical": r.technical}
                    for r in q.reasons
                ],
            )
            for q in row.queues
        ],
    )


# The contract file, YAML or its JSON equivalent; every unknown field is refused (422 naming it).
CONTRACT_FILE = openapi.Body(
    dict.fromkeys(("application/yaml", "application/x-yaml", "text/yaml", "application/json"), ContractFile),
    "The contract file (examples/reference-contract.yaml).",
)


class ContractController(Controller):
    path = "/api/contracts"
    tags = ("contracts",)

    @get("/", operation_id="ListContracts", guards=[requires(*EVERYONE)])
    async def list_contracts(
        self, request: Request[Principal, str, State], db_session: NamedDependency[AsyncSession]
    ) -> list[ContractSummary]:
        rows = await services.list_contracts(db_session, principal=request.user)
        return [to_struct(ContractSummary, r, client=r.client.name) for r in rows]

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
        return [to_struct(ChangeOut, r, changed_at=r.changed_at.isoformat()) for r in rows]

    @post(
        "/",
        operation_id="LoadContract",
        guards=[requires("manager")],
        status_code=200,
        opt=openapi.reads(CONTRACT_FILE),
    )
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

    @delete("/{code:str}", operation_id="DeleteContract", guards=[requires("manager")], status_code=204)
    async def delete(
        self,
        request: Request[Principal, str, State],
        db_session: NamedDependency[AsyncSession],
        code: FromPath[str],
    ) -> None:
        """Delete a contract loaded by mistake, with its configuration. A contract with history (tickets,
        interval statistics, incidents, plans, delivered reports) is refused with 409 naming it."""
        if request.user.contract_id is not None:
            from litestar.exceptions import PermissionDeniedException

            raise PermissionDeniedException("deleting contracts needs a provider-wide manager token")
        await services.delete_contract(db_session, code=code)

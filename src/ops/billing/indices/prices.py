"""A contract's unit prices over time: the contract file's base price from the start, and each readjusted price
from its anniversary (the price history `ops billing readjust --apply` writes)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ops.billing.indices.models import ContractPrice
from ops.contracts.models import Contract
from ops.contracts.schemas import ContractFile
from ops.errors import InvalidInputError

# The billed items and where their base price sits in the contract file's `prices:` section.
ITEMS = ("position_month", "reinforcement_hour", "ticket_minute", "oncall_hour")


def base_prices(contract: ContractFile) -> dict[str, Decimal]:
    """The contract file's prices by item (an item the file does not price is absent)."""
    p = contract.prices
    if p is None:
        return {}
    found = {
        "position_month": p.position_month,
        "reinforcement_hour": p.reinforcement_hour,
        "ticket_minute": p.ticket_minute,
    }
    if p.oncall is not None:
        found["oncall_hour"] = p.oncall.hourly
    return found


async def price_history(
    session: AsyncSession, *, contract: Contract, document: ContractFile, item: str
) -> list[tuple[date, Decimal]]:
    """(valid from, unit price) of one item, oldest first: the base price from the contract's start, then each
    readjusted price. Raises 422 when the contract file prices no such item."""
    base = base_prices(document).get(item)
    if base is None:
        raise InvalidInputError(
            f"prices.{item}: contract {contract.code!r} has no price for {item}",
            extra=[{"field": f"prices.{item}", "problem": "not priced by the contract"}],
        )
    rows = await session.execute(
        select(ContractPrice.valid_from, ContractPrice.unit_price)
        .where(ContractPrice.contract_id == contract.id, ContractPrice.item == item)
        .order_by(ContractPrice.valid_from)
    )
    history = [(contract.starts_on, base)]
    history += [(valid_from, price) for valid_from, price in rows.tuples() if valid_from > contract.starts_on]
    return history


def price_on(history: list[tuple[date, Decimal]], day: date) -> Decimal:
    """The price valid on `day` in a history from `price_history` (the earliest one before the start)."""
    valid = [price for valid_from, price in history if valid_from <= day]
    return valid[-1] if valid else history[0][1]

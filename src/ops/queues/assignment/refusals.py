"""Refusals the pages word in the reader's language: an English catalogue msgid with named values, so the API
answers the English sentence and a page the same sentence from its language's catalogue."""

from __future__ import annotations

from typing import Any

from ops.errors import DomainError, Said


class Refusal(DomainError):
    """A refused action whose `msgid` (marked with N_) and `params` a page translates; `field` names the input."""

    def __init__(self, msgid: str, *, status: int = 409, field: str | None = None, **params: Any) -> None:
        text = msgid.format(**params)
        # Said as a msgid too, so every page and the API's `message` word it like any other service message.
        super().__init__(Said(msgid, params), extra=[{"field": field, "problem": text}] if field else None)
        self.status_code = status
        self.msgid = msgid
        self.params = params

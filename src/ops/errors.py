"""Domain errors raised by services; the app maps each to one HTTP status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Said:
    """A message as its English msgid with named placeholders ("You are at capacity ({capacity} open tickets)")
    and their values: the API keeps the English text, a page says it in the reader's language (`ops.l10n.say`)."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def english(self) -> str:
        # A parameter may be a Said itself (a word the sentence names); a msgid with a context (NC_) reads bare.
        params = {k: v.english() if isinstance(v, Said) else v for k, v in self.params.items()}
        return self.msgid.rpartition("\x04")[2].format(**params)


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str | Said, *, extra: Any = None) -> None:
        said = message if isinstance(message, Said) else None
        text = message.english() if isinstance(message, Said) else message
        super().__init__(text)
        self.message = text
        self.said = said
        self.extra = extra


class NotFoundError(DomainError):
    """Missing, or not visible to the caller: the two are indistinguishable on purpose."""

    status_code = 404


class ConflictError(DomainError):
    status_code = 409


class StaleFormError(DomainError):
    """A page's write without this sign-in's CSRF token: a form shown before a new sign-in, or one of another site."""

    status_code = 403


class InvalidInputError(DomainError):
    """Input that reached a service but breaks a business rule; `extra` lists {field, problem}."""

    status_code = 422


class MalformedBodyError(DomainError):
    """A body that is not UTF-8 JSON at all (as opposed to JSON with bad fields, which is 422); `extra` names
    `body` and says what is wrong with it."""

    status_code = 400


class UnsupportedMediaTypeError(DomainError):
    """A body of a kind (Content-Type) the operation does not read: refused before it is parsed as another."""

    status_code = 415

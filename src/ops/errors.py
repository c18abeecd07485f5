"""Domain errors raised by services; the app maps each to one HTTP status."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, extra: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFoundError(DomainError):
    """Missing, or not visible to the caller: the two are indistinguishable on purpose."""

    status_code = 404


class ConflictError(DomainError):
    status_code = 409


class InvalidInputError(DomainError):
    """Input that reached a service but breaks a business rule; `extra` lists {field, problem}."""

    status_code = 422


class UnsupportedMediaTypeError(DomainError):
    """A body of a kind (Content-Type) the operation does not read: refused before it is parsed as another."""

    status_code = 415

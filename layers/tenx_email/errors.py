"""Domain errors. Each carries its HTTP status and the contract's error code, so the mapping to
an HTTP error body happens in exactly one place (tenx_email.api.resolver)."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(DomainError):
    status = 401
    code = "invalid_token"


class Forbidden(DomainError):
    """No access to the handle or account, or it does not exist (indistinguishable on purpose)."""

    status = 403
    code = "forbidden"


class InsufficientRole(DomainError):
    status = 403
    code = "insufficient_role"


class HandleInactive(DomainError):
    status = 403
    code = "handle_inactive"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class AlreadyExists(DomainError):
    status = 409
    code = "already_exists"


class InvalidInput(DomainError):
    status = 400
    code = "invalid_request"

"""The domain's error hierarchy; api/errors.py and ws map it to the wire in one place each."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """Base of every expected failure; `code` is the protocol's machine-readable error code."""

    code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """The request is well-formed but breaks a rule (bad value, broken hierarchy, cycle...)."""

    code = "VALIDATION_ERROR"


class NotFound(DomainError):
    """The entity does not exist, was deleted, or belongs to another tenant."""

    code = "NOT_FOUND"

    def __init__(self, entity: str, ident: str, *, field: str | None = None) -> None:
        super().__init__(f"{entity} {ident!r} not found", field=field)
        self.entity = entity
        self.ident = ident


class Conflict(DomainError):
    """The write lost a race: stale expected version, or a unique value already taken."""

    code = "CONFLICT"

    def __init__(
        self, message: str, *, field: str | None = None, current: object | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.current = current


class ResyncRequired(DomainError):
    """The client's resume point is older than what the server keeps: reload, then go live."""

    code = "RESYNC_REQUIRED"


class Forbidden(DomainError):
    """The caller is authenticated but may not do this."""

    code = "AUTHORIZATION_FAILED"


class TenantUnknown(Forbidden):
    """The tenant has no data here and this deployment does not create tenants on demand."""

    code = "TENANT_NOT_PROVISIONED"


class Unauthenticated(DomainError):
    """No valid credentials."""

    code = "AUTHENTICATION_FAILED"


class Unavailable(DomainError):
    """A dependency (the tenant store, the disk) cannot take the request now; retry later."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(DomainError):
    """Too many requests; retry after `retry_after` seconds (`limit` per second allowed)."""

    code = "RATE_LIMIT_EXCEEDED"

    def __init__(self, message: str, *, retry_after: int = 1, limit: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.limit = limit


class OperationFailed(InvalidInput):
    """One operation of a bulk request failed, so the whole request was undone.

    `index` is the operation's place in the request; `cause` the error it would have got
    on its own (its code and status go into the answer, too).
    """

    def __init__(self, index: int, cause: DomainError) -> None:
        field = f"operations.{index}" + (f".{cause.field}" if cause.field else "")
        super().__init__(f"operation {index}: {cause.message}", field=field)
        self.index = index
        self.cause = cause

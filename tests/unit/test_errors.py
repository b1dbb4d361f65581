"""The domain errors carry the protocol's codes and what the client needs to react."""

from __future__ import annotations

import pytest

from pm.core import errors


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (errors.DomainError, "INTERNAL_ERROR"),
        (errors.InvalidInput, "VALIDATION_ERROR"),
        (errors.Conflict, "CONFLICT"),
        (errors.Forbidden, "AUTHORIZATION_FAILED"),
        (errors.TenantUnknown, "TENANT_NOT_PROVISIONED"),
        (errors.Unauthenticated, "AUTHENTICATION_FAILED"),
    ],
)
def test_message_errors_carry_their_code_message_and_field(
    cls: type[errors.DomainError], code: str
) -> None:
    error = cls("went wrong", field="title")
    assert (error.code, error.message, error.field, str(error)) == (
        code,
        "went wrong",
        "title",
        "went wrong",
    )
    assert cls("went wrong").field is None
    assert isinstance(error, errors.DomainError)


def test_not_found_names_the_entity_and_id() -> None:
    error = errors.NotFound("work item", "PONE-9", field="parent_id")
    assert error.code == "NOT_FOUND"
    assert error.message == "work item 'PONE-9' not found"
    assert (error.entity, error.ident, error.field) == ("work item", "PONE-9", "parent_id")


def test_conflict_carries_the_current_row() -> None:
    row = object()
    assert errors.Conflict("stale", current=row).current is row
    assert errors.Conflict("stale").current is None


def test_an_unknown_tenant_is_a_kind_of_forbidden() -> None:
    assert issubclass(errors.TenantUnknown, errors.Forbidden)


@pytest.mark.parametrize(
    ("cls", "code"),
    [(errors.Unavailable, "SERVICE_UNAVAILABLE"), (errors.RateLimited, "RATE_LIMIT_EXCEEDED")],
)
def test_retryable_errors_say_when_to_retry(cls: type[errors.Unavailable], code: str) -> None:
    assert cls("busy").retry_after == 1
    error = cls("busy", retry_after=30)
    assert (error.code, error.message, error.retry_after, error.field) == (code, "busy", 30, None)

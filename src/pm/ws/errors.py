"""Domain errors → the protocol's Error message, in exactly one place."""

from __future__ import annotations

import logging

from pm.core.errors import DomainError
from pm.proto import messages_pb2 as pb

log = logging.getLogger(__name__)


def error_message(code: str, message: str, field: str | None = None) -> pb.Error:
    """An Error payload."""
    error = pb.Error(code=code, message=message)
    if field is not None:
        error.field = field
    return error


def from_exception(exc: BaseException) -> pb.Error:
    """The Error payload for a failure of a command (unexpected ones are logged)."""
    if isinstance(exc, DomainError):
        return error_message(exc.code, exc.message, exc.field)
    log.error("unhandled error in a websocket command", exc_info=exc)
    return error_message("INTERNAL_ERROR", "an unexpected error occurred; it has been logged")

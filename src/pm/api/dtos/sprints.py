"""Sprint request bodies."""

from __future__ import annotations

from pydantic import MISSING

from pm.api.dtos.common import Body, LongText, Name, Timestamp, Version
from pm.core.enums import SprintStatus


class CreateSprint(Body):
    """A new sprint of the project in the URL; it starts out planned."""

    name: Name
    goal: LongText | None = None
    start_date: Timestamp
    end_date: Timestamp


class UpdateSprint(Body):
    """Fields to change; absent fields stay as they are (goal: null clears it)."""

    name: Name | MISSING = MISSING
    goal: LongText | MISSING | None = MISSING
    start_date: Timestamp | MISSING = MISSING
    end_date: Timestamp | MISSING = MISSING
    status: SprintStatus | MISSING = MISSING
    expected_version: Version | None = None

"""Sprint request bodies."""

from __future__ import annotations

from pydantic import MISSING

from pm.api.dtos.common import Body, LongText, Name, Timestamp, Version
from pm.core.enums import SprintStatus
from pm.service.sprints import SprintPatch


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

    def patch(self) -> SprintPatch:
        """The fields the client sent, as the service's patch."""
        patch: SprintPatch = {}
        if self.name is not MISSING:
            patch["name"] = self.name
        if self.goal is not MISSING:
            patch["goal"] = self.goal
        if self.start_date is not MISSING:
            patch["start_date"] = self.start_date
        if self.end_date is not MISSING:
            patch["end_date"] = self.end_date
        if self.status is not MISSING:
            patch["status"] = self.status
        return patch

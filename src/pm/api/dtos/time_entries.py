"""Time entry request bodies; timestamps are Unix seconds."""

from __future__ import annotations

from typing import Annotated

from pydantic import MISSING, Field

from pm.api.dtos.common import Body, LongText, Timestamp
from pm.core.limits import INT32_MAX
from pm.service.time_entries import TimeEntryPatch

EntryLimit = Annotated[int, Field(ge=1, le=500)]
Offset = Annotated[int, Field(ge=0, le=INT32_MAX)]


class CreateTimeEntry(Body):
    """Time already spent on the work item of the URL (a finished entry)."""

    started_at: Timestamp
    ended_at: Timestamp
    description: LongText | None = None


class StartTimer(Body):
    """An optional note for the timer being started."""

    description: LongText | None = None


class UpdateTimeEntry(Body):
    """Fields to change; absent fields stay, a null description clears it."""

    started_at: Timestamp | MISSING = MISSING
    ended_at: Timestamp | MISSING = MISSING
    description: LongText | MISSING | None = MISSING

    def patch(self) -> TimeEntryPatch:
        """The fields the client sent, as the service's patch."""
        patch: TimeEntryPatch = {}
        if self.started_at is not MISSING:
            patch["started_at"] = self.started_at
        if self.ended_at is not MISSING:
            patch["ended_at"] = self.ended_at
        if self.description is not MISSING:
            patch["description"] = self.description
        return patch

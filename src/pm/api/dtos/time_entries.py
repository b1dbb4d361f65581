"""Time entry request bodies; timestamps are Unix seconds."""

from __future__ import annotations

from typing import Annotated

from pydantic import MISSING, Field

from pm.api.dtos.common import Body, LongText, Timestamp
from pm.core.limits import INT32_MAX

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

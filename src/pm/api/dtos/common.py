"""Shared field types and the strict base every request body uses."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from pm.core import limits
from pm.core.limits import INT32_MAX


class Body(BaseModel):
    """Unknown fields are refused, so nothing can be mass-assigned (id, version, created_by...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Int32 = Annotated[int, Field(ge=-(2**31), le=INT32_MAX)]
Position = Annotated[int, Field(ge=0, le=INT32_MAX)]
Version = Annotated[
    int,
    Field(
        ge=1,
        le=INT32_MAX,
        description="The version you last read; a stale one is answered 409 with the current row.",
    ),
]
EntityId = Annotated[str, Field(min_length=1, max_length=limits.ID_MAX)]
UserId = Annotated[str, Field(min_length=1, max_length=limits.USER_ID_MAX)]
Title = Annotated[str, Field(min_length=1, max_length=limits.TITLE_MAX)]
Name = Annotated[str, Field(min_length=1, max_length=limits.NAME_MAX)]
LongText = Annotated[str, Field(max_length=limits.TEXT_MAX)]
Timestamp = Annotated[int, Field(ge=0, le=limits.TIMESTAMP_MAX, description="Unix seconds")]
StoryPoints = Annotated[int, Field(ge=0, le=limits.STORY_POINTS_MAX)]
Limit = Annotated[int, Field(ge=1, le=200)]
Status = Annotated[str, Field(min_length=1, max_length=limits.STATUS_MAX)]

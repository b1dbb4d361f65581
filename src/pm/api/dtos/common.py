"""Shared field types and the strict base every request body uses."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

INT32_MAX = 2**31 - 1


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
EntityId = Annotated[str, Field(min_length=1, max_length=64)]
UserId = Annotated[str, Field(min_length=1, max_length=255)]
Title = Annotated[str, Field(min_length=1, max_length=500)]
Name = Annotated[str, Field(min_length=1, max_length=255)]
LongText = Annotated[str, Field(max_length=65_536)]
Timestamp = Annotated[int, Field(ge=0, le=253_402_300_799, description="Unix seconds")]
StoryPoints = Annotated[int, Field(ge=0, le=1000)]
Limit = Annotated[int, Field(ge=1, le=200)]
Status = Annotated[str, Field(min_length=1, max_length=40)]

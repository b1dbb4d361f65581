"""Swim lane request bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import MISSING, Field

from pm.api.dtos.common import Body, EntityId, Position, Status
from pm.service.swim_lanes import SwimLanePatch

LaneName = Annotated[str, Field(min_length=1, max_length=100)]


class CreateSwimLane(Body):
    """A custom lane; `status_value` is what work items in this column carry as `status`."""

    status_value: Annotated[Status, Field(examples=["qa"])]
    name: LaneName
    position: Position | None = None


class UpdateSwimLane(Body):
    """Fields to change; absent fields stay as they are."""

    name: LaneName | MISSING = MISSING
    position: Position | MISSING = MISSING

    def patch(self) -> SwimLanePatch:
        """The fields the client sent, as the service's patch."""
        patch: SwimLanePatch = {}
        if self.name is not MISSING:
            patch["name"] = self.name
        if self.position is not MISSING:
            patch["position"] = self.position
        return patch


class ReorderSwimLanes(Body):
    """Every lane of the board, in the new left-to-right order."""

    lane_ids: Annotated[list[EntityId], Field(max_length=500)]

"""The export document (what GET /sync/export streams and POST /sync/import reads)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from pm.core.activity import ActivityEntry
from pm.core.comments import Comment
from pm.core.dependencies import Dependency
from pm.core.members import ProjectMember
from pm.core.projects import Project
from pm.core.sprints import Sprint
from pm.core.swim_lanes import SwimLane
from pm.core.time_entries import TimeEntry
from pm.core.work_items import WorkItem


class ExportDocument(BaseModel):
    """A tenant or one project: every row (deleted ones too), parents before children."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["pm-export"]
    schema_version: Literal[1]
    exported_at: int
    exported_by: str
    tenant_id: str
    projects: list[Project]
    swim_lanes: list[SwimLane]
    members: list[ProjectMember]
    sprints: list[Sprint]
    work_items: list[WorkItem]
    comments: list[Comment]
    dependencies: list[Dependency]
    time_entries: list[TimeEntry]
    activity: list[ActivityEntry]

"""The export document (what GET /sync/export streams and POST /sync/import reads)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from pm.core.activity import ActivityEntry
from pm.core.comments import Comment
from pm.core.dependencies import Dependency
from pm.core.members import ProjectMember
from pm.core.projects import Project
from pm.core.records import record
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


# The entity of each section's rows.
ROW_TYPES: dict[str, type] = {
    "projects": Project,
    "swim_lanes": SwimLane,
    "members": ProjectMember,
    "sprints": Sprint,
    "work_items": WorkItem,
    "comments": Comment,
    "dependencies": Dependency,
    "time_entries": TimeEntry,
    "activity": ActivityEntry,
}


@record
class Counts:
    """What an import did with one section's rows."""

    created: int
    updated: int
    skipped: int


@record
class ImportResult:
    """The answer to an import: per section, rows created, updated and skipped."""

    mode: str
    dry_run: bool
    entities: dict[str, Counts]

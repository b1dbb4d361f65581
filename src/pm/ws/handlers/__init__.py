"""Command handlers, one module per domain noun; importing this package registers them all."""

from pm.ws.commands import HANDLERS
from pm.ws.handlers import (
    activity,
    comments,
    dependencies,
    llm_context,
    members,
    projects,
    sprints,
    time_entries,
    work_items,
)

__all__ = [
    "HANDLERS",
    "activity",
    "comments",
    "dependencies",
    "llm_context",
    "members",
    "projects",
    "sprints",
    "time_entries",
    "work_items",
]

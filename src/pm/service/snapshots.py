"""A project's state for an LLM, trimmed to a token budget (viewers may ask)."""

from __future__ import annotations

from pm.core.enums import SprintStatus
from pm.core.snapshots import SnapshotInput
from pm.core.swim_lanes import done_statuses
from pm.core.trimming import Format, Snapshot, render
from pm.db.repos import activity as activity_repo
from pm.db.repos import planning as planning_repo
from pm.db.repos import sprints as sprint_repo
from pm.db.repos import swim_lanes as lane_repo
from pm.db.repos import work_items as item_repo
from pm.db.repos.planning import ReadyFilter
from pm.service import lookups
from pm.service.access import VIEW
from pm.service.uow import Reader

# What a snapshot reads at most: more than any budget can show (100,000 tokens hold about
# 6,000 lines), so a huge project costs no more than a large one.
MAX_ITEMS = 10_000
READY = 20
ACTIVITY = 50


async def snapshot(reader: Reader, project_id: str, fmt: Format, max_tokens: int) -> Snapshot:
    """The project's hierarchy, active sprint, blocked and ready work and recent activity."""
    project = await lookups.project(reader, project_id, VIEW)
    ex, pid = reader.ex, project.id
    lanes = await lane_repo.list_for_project(ex, pid)
    sprints = await sprint_repo.list_for_project(ex, pid)
    ready, _total = await planning_repo.ready(ex, pid, ReadyFilter(), READY)
    snap = SnapshotInput(
        project=project,
        now=reader.now,
        done_statuses=done_statuses(lanes),
        items=sorted(await item_repo.open_first(ex, pid, MAX_ITEMS), key=lambda i: i.item_number),
        sprint=next((s for s in sprints if s.status is SprintStatus.ACTIVE), None),
        blocked=await planning_repo.blocked(ex, pid),
        ready=ready,
        activity=await activity_repo.for_project(ex, pid, activity_repo.AFTER_ALL, ACTIVITY),
        names={pid: project.key, **{s.id: repr(s.name) for s in sprints}},
    )
    return render(snap, fmt, max_tokens)

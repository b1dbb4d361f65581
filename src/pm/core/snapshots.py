"""A project snapshot for an LLM: its state in a few thousand tokens, trimmed by importance.

The snapshot is made of entries (one line of Markdown, one object of JSON each): the work
hierarchy, what is blocked and by what, the ready work and the recent activity, under a
header that always stays (the project, the active sprint's progress). When it does not
fit `max_tokens` (estimated at 4 characters a token), whole entries are left out, least
important first (`DROP_ORDER`), and a closing note says what was left out. An item is
never left out while one of its children is still shown: the hierarchy stays readable.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import IntEnum

from pm.core.activity import ActivityEntry
from pm.core.enums import EntityType, WorkItemType
from pm.core.planning import PRIORITY_ORDER, ReadyItem
from pm.core.projects import Project
from pm.core.records import record
from pm.core.sprints import Sprint
from pm.core.work_items import WorkItem

CHARS_PER_TOKEN = 4
DEFAULT_MAX_TOKENS = 4000
NEWEST_ACTIVITY = 5  # the newest activity entries outlive the done items
VALUE_CHARS = 60  # a changed value longer than this is shortened in activity lines
DAY = 86_400

Json = str | int | bool | None | list["Json"] | dict[str, "Json"]


class Kind(IntEnum):
    """What an entry is; the value is its place in the drop order (lowest first)."""

    OLD_ACTIVITY = 0
    DONE_ITEM = 1
    NEW_ACTIVITY = 2
    OPEN_TASK = 3
    READY = 4
    BLOCKED = 5
    OPEN_STORY = 6
    OPEN_EPIC = 7


DROP_ORDER = tuple(Kind)
SECTIONS = ("work", "blocked", "ready", "activity")
TITLES = {
    "work": "Work (epic > story > task)",
    "blocked": "Blocked",
    "ready": "Ready to start",
    "activity": "Recent activity",
}
OMITTED = {  # how the closing note (and JSON's `omitted`) counts what was left out
    Kind.OLD_ACTIVITY: "activity",
    Kind.NEW_ACTIVITY: "activity",
    Kind.DONE_ITEM: "done_items",
    Kind.OPEN_TASK: "open_items",
    Kind.OPEN_STORY: "open_items",
    Kind.OPEN_EPIC: "open_items",
    Kind.READY: "ready",
    Kind.BLOCKED: "blocked",
}
NOTE_WORDS = {  # label: (one, many) in the Markdown note
    "activity": ("activity entry", "activity entries"),
    "done_items": ("done item", "done items"),
    "open_items": ("open item", "open items"),
    "ready": ("ready item", "ready items"),
    "blocked": ("blocked item", "blocked items"),
}


@record
class SnapshotInput:
    """Everything a snapshot shows, as read in one go."""

    project: Project
    now: int
    done_statuses: frozenset[str]
    items: list[WorkItem]  # live items of the project, by item number
    sprint: Sprint | None  # the active sprint
    blocked: dict[str, list[str]]  # open item id -> keys of its open blockers
    ready: list[ReadyItem]  # in the order to take them
    activity: list[ActivityEntry]  # newest first
    names: dict[str, str]  # how activity names entities other than items (sprints, project)


@record
class Entry:
    """One line of the snapshot, in both formats, with where it stands in the drop order."""

    section: str
    kind: Kind
    rank: int  # within its kind: lower goes first
    markdown: str
    data: dict[str, Json]
    item_id: str | None = None  # a hierarchy entry's item
    parent_id: str | None = None  # ... and its parent (kept while this one is)


def estimate_tokens(text: str) -> int:
    """The token estimate of a text: 4 characters a token, rounded up."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _day(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def minute(ts: int) -> str:
    """A timestamp as YYYY-MM-DD HH:MM (UTC)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def _short(value: str | None) -> str:
    if value is None:
        return "∅"
    flat = " ".join(value.split())
    return flat if len(flat) <= VALUE_CHARS else flat[: VALUE_CHARS - 1] + "…"


def _item_data(item: WorkItem, done: bool) -> dict[str, Json]:
    return {
        "key": item.key,
        "type": item.item_type.value,
        "title": item.title,
        "status": item.status,
        "priority": item.priority.value,
        "story_points": item.story_points,
        "assignee_id": item.assignee_id,
        "done": done,
    }


def _item_line(item: WorkItem) -> str:
    extra = [item.status, item.priority.value]
    if item.story_points is not None:
        extra.append(f"{item.story_points} pts")
    if item.assignee_id:
        extra.append(f"@{item.assignee_id}")
    return f"[{item.item_type.value}] {item.key} {item.title} — {' · '.join(extra)}"


_PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITY_ORDER)}
_OPEN_KIND = {
    WorkItemType.TASK: Kind.OPEN_TASK,
    WorkItemType.STORY: Kind.OPEN_STORY,
    WorkItemType.EPIC: Kind.OPEN_EPIC,
}
_DEPTH = {WorkItemType.TASK: 0, WorkItemType.STORY: 1, WorkItemType.EPIC: 2}


def hierarchy(snap: SnapshotInput) -> list[Entry]:
    """The items as a tree (epics, their stories, their tasks; then the rest), in order.

    Done items go first, deepest and longest untouched first; open ones by kind (tasks,
    then stories, then epics), least urgent and newest first.
    """
    by_id = {item.id: item for item in snap.items}
    children: dict[str | None, list[WorkItem]] = {}
    for item in snap.items:
        parent = item.parent_id if item.parent_id in by_id else None
        children.setdefault(parent, []).append(item)
    for group in children.values():
        group.sort(key=lambda i: (i.position, i.item_number))
    roots = children.get(None, [])
    roots.sort(key=lambda i: (i.item_type is not WorkItemType.EPIC, i.position, i.item_number))
    entries: list[Entry] = []

    def visit(item: WorkItem, depth: int) -> None:
        done = item.status in snap.done_statuses
        kind = Kind.DONE_ITEM if done else _OPEN_KIND[item.item_type]
        rank = (
            _DEPTH[item.item_type] * 10**12 + item.updated_at
            if done
            else -_PRIORITY_RANK[item.priority] * 10**10 - item.item_number
        )
        parent = item.parent_id if item.parent_id in by_id else None
        entries.append(
            Entry(
                "work",
                kind,
                rank,
                "  " * depth + "- " + _item_line(item),
                {**_item_data(item, done), "parent": by_id[parent].key if parent else None},
                item.id,
                parent,
            )
        )
        for child in children.get(item.id, []):
            visit(child, depth + 1)

    for root in roots:
        visit(root, 0)
    return entries


def blocked(snap: SnapshotInput) -> list[Entry]:
    """Open items waiting on open blockers, most urgent first (dropped from the end)."""
    waiting = [i for i in snap.items if i.id in snap.blocked]
    waiting.sort(key=lambda i: (_PRIORITY_RANK[i.priority], i.item_number))
    return [
        Entry(
            "blocked",
            Kind.BLOCKED,
            -n,
            f"- {item.key} {item.title} — {item.status} · blocked by "
            + ", ".join(snap.blocked[item.id]),
            {
                "key": item.key,
                "title": item.title,
                "status": item.status,
                "blocked_by": list(snap.blocked[item.id]),
            },
        )
        for n, item in enumerate(waiting)
    ]


def ready(snap: SnapshotInput) -> list[Entry]:
    """The ready work in the order to take it (dropped from the end)."""
    return [
        Entry(
            "ready",
            Kind.READY,
            -n,
            f"- {item.key} {item.title} — {item.priority.value}"
            + (f" · unblocks {item.unblocks}" if item.unblocks else ""),
            {
                "key": item.key,
                "title": item.title,
                "priority": item.priority.value,
                "unblocks": item.unblocks,
            },
        )
        for n, item in enumerate(snap.ready)
    ]


def activity(snap: SnapshotInput) -> list[Entry]:
    """The newest activity first; older entries are dropped first."""
    keys = {item.id: item.key for item in snap.items}
    entries = []
    for n, entry in enumerate(snap.activity):
        kind = entry.entity_type.value.replace("_", " ")
        known = keys.get(entry.entity_id) or snap.names.get(entry.entity_id)
        # Ids are time-ordered (UUIDv7): their tail, not their head, tells them apart.
        subject = (
            known
            if known and entry.entity_type is EntityType.WORK_ITEM
            else f"{kind} {known or '…' + entry.entity_id[-8:]}"
        )
        change = ""
        if entry.field_name:
            change = f" {entry.field_name}: {_short(entry.old_value)} → {_short(entry.new_value)}"
        entries.append(
            Entry(
                "activity",
                Kind.NEW_ACTIVITY if n < NEWEST_ACTIVITY else Kind.OLD_ACTIVITY,
                -n,
                f"- {minute(entry.timestamp)} {entry.user_id} {entry.action} {subject}{change}",
                {
                    "at": entry.timestamp,
                    "user_id": entry.user_id,
                    "action": entry.action,
                    "subject": subject,
                    "field": entry.field_name,
                    "old": entry.old_value,
                    "new": entry.new_value,
                },
            )
        )
    return entries


def sprint_progress(snap: SnapshotInput) -> dict[str, Json] | None:
    """The active sprint's points and items done of its total, and the days left."""
    sprint = snap.sprint
    if sprint is None:
        return None
    mine = [i for i in snap.items if i.sprint_id == sprint.id]
    done = [i for i in mine if i.status in snap.done_statuses]
    return {
        "name": sprint.name,
        "goal": sprint.goal,
        "points_done": sum(i.story_points or 0 for i in done),
        "points_total": sum(i.story_points or 0 for i in mine),
        "items_done": len(done),
        "items_total": len(mine),
        "days_left": max(0, math.ceil((sprint.end_date - snap.now) / DAY)),
        "ends": _day(sprint.end_date),
    }

"""Snapshots: what they show, and how they are trimmed to a token budget."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pm.core.activity import ActivityEntry
from pm.core.enums import EntityType, Priority, ProjectStatus, SprintStatus, WorkItemType
from pm.core.planning import ReadyItem
from pm.core.projects import Project
from pm.core.snapshots import DAY, Kind, SnapshotInput, sprint_progress
from pm.core.sprints import Sprint
from pm.core.trimming import Format, drop_order, entries_of, fit, render
from pm.core.work_items import WorkItem

NOW = 1_800_000_000
PROJECT = Project(
    "p1", "PONE", "Project one", None, ProjectStatus.ACTIVE, 1, 1, 0, 0, "a", "a", None
)


def item(n: int, kind: WorkItemType = WorkItemType.STORY, **fields: Any) -> WorkItem:
    values: dict[str, Any] = {
        "id": f"i{n}",
        "project_id": "p1",
        "item_type": kind,
        "item_number": n,
        "key": f"PONE-{n}",
        "parent_id": None,
        "position": n,
        "title": f"Item {n}",
        "description": None,
        "status": "backlog",
        "priority": Priority.MEDIUM,
        "story_points": None,
        "assignee_id": None,
        "sprint_id": None,
        "version": 1,
        "created_at": 0,
        "updated_at": n,
        "created_by": "a",
        "updated_by": "a",
        "deleted_at": None,
    }
    values.update(fields)
    return WorkItem(**values)


def entry(n: int, entity: str = "i1", field: str | None = None) -> ActivityEntry:
    return ActivityEntry(
        f"a{n:03}",
        EntityType.WORK_ITEM,
        entity,
        "p1",
        "updated" if field else "created",
        field,
        "old" if field else None,
        "new" if field else None,
        "alice",
        NOW - n,
        None,
    )


def snapshot_input(**fields: Any) -> SnapshotInput:
    values: dict[str, Any] = {
        "project": PROJECT,
        "now": NOW,
        "done_statuses": frozenset({"done"}),
        "items": [],
        "sprint": None,
        "blocked": {},
        "ready": [],
        "activity": [],
        "names": {},
    }
    values.update(fields)
    return SnapshotInput(**values)


def board() -> SnapshotInput:
    """An epic > story > (open task, done task), a done story, a blocked story, activity."""
    items = [
        item(1, WorkItemType.EPIC),
        item(2, parent_id="i1", assignee_id="bob", story_points=5),
        item(3, WorkItemType.TASK, parent_id="i2"),
        item(4, WorkItemType.TASK, parent_id="i2", status="done"),
        item(5, status="done", parent_id="i1"),
        item(6, priority=Priority.HIGH),
    ]
    ready = [ReadyItem(**vars_of(items[1]), blocked_by=[], unblocks=1)]
    return snapshot_input(
        items=items,
        blocked={"i6": ["PONE-2"]},
        ready=ready,
        activity=[entry(n, field="title" if n % 2 else None) for n in range(12)],
    )


def vars_of(work_item: WorkItem) -> dict[str, Any]:
    return {name: getattr(work_item, name) for name in WorkItem.__dataclass_fields__}


def test_entries_follow_the_tree_and_the_drop_order_goes_by_importance() -> None:
    entries = entries_of(board())
    work = [e.markdown for e in entries if e.section == "work"]
    assert work == [
        "- [epic] PONE-1 Item 1 — backlog · medium",
        "  - [story] PONE-2 Item 2 — backlog · medium · 5 pts · @bob",
        "    - [task] PONE-3 Item 3 — backlog · medium",
        "    - [task] PONE-4 Item 4 — done · medium",
        "  - [story] PONE-5 Item 5 — done · medium",
        "- [story] PONE-6 Item 6 — backlog · high",
    ]
    kinds = [entries[i].kind for i in drop_order(entries)]
    assert kinds == sorted(kinds)
    assert kinds[0] is Kind.OLD_ACTIVITY
    assert kinds[-1] is Kind.OPEN_EPIC
    first_activity = entries[drop_order(entries)[0]]
    assert first_activity.data["at"] == NOW - 11  # the oldest activity goes first
    done = [
        entries[i].data["key"] for i in drop_order(entries) if entries[i].kind is Kind.DONE_ITEM
    ]
    assert done == ["PONE-4", "PONE-5"]  # tasks before stories


def test_a_parent_stays_while_one_of_its_children_does() -> None:
    # A done story (least important kind but one) with an open task under it.
    snap = snapshot_input(
        items=[
            item(1, status="done"),
            item(2, WorkItemType.TASK, parent_id="i1"),
            item(3, WorkItemType.TASK, priority=Priority.LOW),
            item(4, priority=Priority.HIGH),
        ]
    )
    entries = entries_of(snap)

    def shown(budget: int) -> list[str]:
        kept = fit(entries, budget, lambda e: 1, fixed=0)
        return [str(e.data["key"]) for e, k in zip(entries, kept, strict=True) if k]

    assert shown(4) == ["PONE-1", "PONE-2", "PONE-3", "PONE-4"]
    # The done story would go first, but its open task holds it; the low task goes.
    assert shown(3) == ["PONE-1", "PONE-2", "PONE-4"]
    assert shown(2) == ["PONE-1", "PONE-4"]  # the open task went; the story fits now
    # Once its last child is gone, the done story is next to go (before the high story).
    assert shown(1) == ["PONE-4"]


def test_a_small_budget_keeps_the_header_and_counts_what_went() -> None:
    text = render(board(), Format.MARKDOWN, 100).text
    assert text.startswith("# PONE · Project one\n")
    assert len(text) <= 400
    assert "_Left out to fit 100 tokens: " in text
    assert "12 activity entries" in text
    big = render(board(), Format.MARKDOWN, 100_000)
    assert big.omitted == {}
    assert "Left out" not in big.text


def test_the_json_snapshot_is_one_document_that_says_its_size() -> None:
    out = render(board(), Format.JSON, 150)
    doc = json.loads(out.text)
    assert doc["estimated_tokens"] == out.estimated_tokens == -(-len(out.text) // 4)
    assert len(out.text) <= 150 * 4
    assert doc["omitted"]["activity"] == 12
    assert set(doc) >= {"project", "sprint", "work", "blocked", "ready", "activity", "omitted"}


def test_sprint_progress_counts_points_items_and_days_left() -> None:
    sprint = Sprint(
        "s1", "p1", "S1", "Ship", 0, NOW + DAY + 1, SprintStatus.ACTIVE, 1, 0, 0, "a", "a", None
    )
    items = [
        item(1, sprint_id="s1", story_points=3, status="done"),
        item(2, sprint_id="s1", story_points=5),
        item(3, sprint_id="s1"),
        item(4, story_points=8, status="done"),  # not in the sprint
    ]
    progress = sprint_progress(snapshot_input(items=items, sprint=sprint))
    assert progress is not None
    assert (progress["points_done"], progress["points_total"]) == (3, 8)
    assert (progress["items_done"], progress["items_total"]) == (1, 3)
    assert progress["days_left"] == 2  # a day and a second: two calendar days to go
    ended = snapshot_input(items=items, sprint=sprint, now=NOW + 10 * DAY)
    assert sprint_progress(ended)["days_left"] == 0  # type: ignore[index]
    assert sprint_progress(snapshot_input()) is None


@st.composite
def boards(draw: st.DrawFn) -> SnapshotInput:
    """Random projects: a hierarchy, done items, blocked and ready ones, activity."""
    items: list[WorkItem] = []
    for n in range(1, draw(st.integers(0, 25)) + 1):
        kind = draw(st.sampled_from(list(WorkItemType)))
        parents = [i for i in items if i.item_type is not WorkItemType.TASK]
        parent = draw(st.none() | st.sampled_from(parents)) if parents else None
        items.append(
            item(
                n,
                kind,
                parent_id=None if parent is None else parent.id,
                status=draw(st.sampled_from(["backlog", "done", "in_progress"])),
                priority=draw(st.sampled_from(list(Priority))),
                title=draw(st.text(min_size=1, max_size=40)),
            )
        )
    blocked = {i.id: ["PONE-1"] for i in items if draw(st.booleans())}
    ready = [ReadyItem(**vars_of(i), blocked_by=[], unblocks=0) for i in items[:5]]
    activity = [entry(n, field="title") for n in range(draw(st.integers(0, 30)))]
    return snapshot_input(items=items, blocked=blocked, ready=ready, activity=activity)


@settings(max_examples=60, deadline=None)
@given(snap=boards(), max_tokens=st.integers(100, 3000), fmt=st.sampled_from(list(Format)))
def test_a_snapshot_fits_its_budget_with_whole_entries(
    snap: SnapshotInput, max_tokens: int, fmt: Format
) -> None:
    out = render(snap, fmt, max_tokens)
    header_only = render(snap, fmt, 1).text  # nothing but what always stays
    assert len(out.text) <= max(max_tokens * 4, len(header_only))
    full = render(snap, fmt, 10**6).text
    if fmt is Format.JSON:
        doc, whole = json.loads(out.text), json.loads(full)
        for section in ("work", "blocked", "ready", "activity"):
            assert all(e in whole[section] for e in doc[section])  # whole objects only
    else:
        note = [line for line in out.text.splitlines() if line.startswith("_Left out")]
        assert set(out.text.splitlines()) - set(note) <= set(full.splitlines())
    # A shown item's parent is shown too.
    if fmt is Format.JSON:
        keys = {w["key"] for w in json.loads(out.text)["work"]}
        assert all(w["parent"] in keys for w in json.loads(out.text)["work"] if w["parent"])

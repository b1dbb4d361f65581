"""Fitting a snapshot into its token budget: whole entries out, least important first.

Never cuts an entry: a line of Markdown or an object of JSON is in or out. The header (the
project and the active sprint) always stays, so a tiny budget still gets a valid document
that says what was left out.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum

from pm.core.records import record
from pm.core.snapshots import (
    CHARS_PER_TOKEN,
    NOTE_WORDS,
    OMITTED,
    SECTIONS,
    TITLES,
    Entry,
    Json,
    SnapshotInput,
    activity,
    blocked,
    estimate_tokens,
    hierarchy,
    minute,
    ready,
    sprint_progress,
)

GOAL_CHARS = 200


class Format(StrEnum):
    """How a snapshot is written."""

    MARKDOWN = "markdown"
    JSON = "json"


@record
class Snapshot:
    """A rendered snapshot, its size in estimated tokens, and what was left out of it."""

    text: str
    estimated_tokens: int
    omitted: dict[str, int]


@record
class Draft:
    """What a writer renders: the entries, which of them stay, and what the note says."""

    snap: SnapshotInput
    entries: Sequence[Entry]
    kept: Sequence[bool]
    left_out: dict[str, int]
    max_tokens: int

    def shown(self) -> Iterable[tuple[Entry, bool]]:
        """Each entry with whether it stays, in document order."""
        return zip(self.entries, self.kept, strict=True)


def entries_of(snap: SnapshotInput) -> list[Entry]:
    """Every entry a snapshot could show, in document order."""
    return [*hierarchy(snap), *blocked(snap), *ready(snap), *activity(snap)]


def drop_order(entries: Sequence[Entry]) -> list[int]:
    """Indexes of `entries`, the first to leave out first."""
    return sorted(range(len(entries)), key=lambda i: (entries[i].kind, entries[i].rank))


def fit(
    entries: Sequence[Entry], budget: int, cost: Callable[[Entry], int], fixed: int
) -> list[bool]:
    """Which entries stay so that `fixed` plus the kept entries' costs is within `budget`.

    Entries leave in `drop_order`; one whose children are still kept waits until the last
    of them leaves, then goes next.
    """
    kept = [True] * len(entries)
    costs = [cost(e) for e in entries]
    total = fixed + sum(costs)
    index = {e.item_id: i for i, e in enumerate(entries) if e.item_id is not None}
    children = Counter(e.parent_id for e in entries if e.parent_id is not None)
    waiting: dict[str, int] = {}
    queue = deque(drop_order(entries))
    ready_now: deque[int] = deque()
    while total > budget and (ready_now or queue):
        i = ready_now.popleft() if ready_now else queue.popleft()
        entry = entries[i]
        if entry.item_id is not None and children[entry.item_id] > 0:
            waiting[entry.item_id] = i
            continue
        kept[i] = False
        total -= costs[i]
        parent = entry.parent_id
        if parent is not None and parent in index:
            children[parent] -= 1
            if children[parent] == 0 and parent in waiting:
                ready_now.append(waiting.pop(parent))
    return kept


def omitted(entries: Sequence[Entry], kept: Sequence[bool]) -> dict[str, int]:
    """How many entries of each kind were left out."""
    counts: dict[str, int] = {}
    for entry, stays in zip(entries, kept, strict=True):
        if not stays:
            label = OMITTED[entry.kind]
            counts[label] = counts.get(label, 0) + 1
    return counts


def render(snap: SnapshotInput, fmt: Format, max_tokens: int) -> Snapshot:
    """The snapshot in `fmt`, within `max_tokens` unless even its header is larger."""
    entries = entries_of(snap)
    budget = max_tokens * CHARS_PER_TOKEN
    write = _markdown if fmt is Format.MARKDOWN else _json

    def cost(entry: Entry) -> int:
        return len(entry.markdown) + 1 if fmt is Format.MARKDOWN else len(_dump(entry.data)) + 1

    # The header with the longest note the entries could need: what stays besides them
    # (an upper bound, so whatever `fit` keeps fits).
    worst = {label: len(entries) for label in OMITTED.values()}
    fixed = len(write(Draft(snap, entries, [False] * len(entries), worst, max_tokens)))
    if fmt is Format.JSON:
        fixed += len(_TOKENS_FIELD.format(10 * budget))
    kept = fit(entries, budget, cost, fixed)
    left_out = omitted(entries, kept)
    text = write(Draft(snap, entries, kept, left_out, max_tokens))
    if fmt is Format.JSON:  # the document says its own size, counted with that field
        tokens = estimate_tokens(text + _TOKENS_FIELD.format(estimate_tokens(text)))
        tokens = estimate_tokens(text + _TOKENS_FIELD.format(tokens))
        text = text[:-1] + _TOKENS_FIELD.format(tokens) + "}"
    return Snapshot(text, estimate_tokens(text), left_out)


_TOKENS_FIELD = ',"estimated_tokens":{}'


def _dump(value: Json) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _counts(snap: SnapshotInput) -> tuple[int, int]:
    done = sum(1 for i in snap.items if i.status in snap.done_statuses)
    return len(snap.items) - done, len(snap.items)


def _note(left_out: dict[str, int], max_tokens: int) -> str:
    parts = ", ".join(
        f"{n} {NOTE_WORDS[label][0 if n == 1 else 1]}" for label, n in left_out.items()
    )
    return f"_Left out to fit {max_tokens} tokens: {parts}._" if left_out else ""


def _markdown(draft: Draft) -> str:
    snap, project = draft.snap, draft.snap.project
    open_items, all_items = _counts(snap)
    lines = [
        f"# {project.key} · {project.title}",
        f"{project.status.value} project · {open_items} open of {all_items} items · "
        f"as of {minute(snap.now)} UTC",
    ]
    progress = sprint_progress(snap)
    if progress is not None:
        lines += [
            "",
            f"## Active sprint: {progress['name']}",
            f"{progress['points_done']} of {progress['points_total']} points done · "
            f"{progress['items_done']} of {progress['items_total']} items done · "
            f"{progress['days_left']} days left (ends {progress['ends']})",
        ]
        goal = progress["goal"]
        if isinstance(goal, str) and goal.strip():
            lines.append("Goal: " + " ".join(goal.split())[:GOAL_CHARS])
    for section in SECTIONS:
        mine = [(e, k) for e, k in draft.shown() if e.section == section]
        lines += ["", f"## {TITLES[section]}"]
        lines += [e.markdown for e, k in mine if k] if mine else ["_none_"]
    note = _note(draft.left_out, draft.max_tokens)
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def _json(draft: Draft) -> str:
    snap, project = draft.snap, draft.snap.project
    open_items, all_items = _counts(snap)
    doc: dict[str, Json] = {
        "project": {
            "id": project.id,
            "key": project.key,
            "title": project.title,
            "status": project.status.value,
            "open_items": open_items,
            "items": all_items,
        },
        "generated_at": snap.now,
        "sprint": sprint_progress(snap),
    }
    for section in SECTIONS:
        doc[section] = [e.data for e, k in draft.shown() if k and e.section == section]
    doc["omitted"] = dict(draft.left_out)
    doc["max_tokens"] = draft.max_tokens
    return _dump(doc)

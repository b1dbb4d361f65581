"""Swim lane use cases: add, rename, reorder and remove the columns of a project's board."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TypedDict

from pm.core import activity, projects, swim_lanes
from pm.core.enums import EntityType
from pm.core.errors import NotFound
from pm.core.ids import new_id
from pm.core.swim_lanes import SwimLane
from pm.db.repos import swim_lanes as repo
from pm.db.repos import work_items as item_repo
from pm.events.types import Event, EventKind
from pm.service import lookups
from pm.service.access import ADMIN, VIEW
from pm.service.uow import Reader, UnitOfWork


class SwimLanePatch(TypedDict, total=False):
    """Fields of a lane an update may set (its status value never changes)."""

    name: str
    position: int


async def list_lanes(reader: Reader, project_id: str) -> list[SwimLane]:
    """A project's live lanes in board order."""
    project_id = (await lookups.project(reader, project_id, VIEW)).id
    return await repo.list_for_project(reader.ex, project_id)


async def create_lane(
    uow: UnitOfWork, project_id: str, status_value: str, name: str, position: int | None = None
) -> SwimLane:
    """Add a custom lane at `position` (shifting the lanes after it), by default last."""
    project_id = (await lookups.project(uow, project_id, ADMIN)).id
    swim_lanes.validate_status_value(status_value)
    name = projects.validate_title(name, "name")
    board = await repo.list_for_project(uow.ex, project_id)
    swim_lanes.validate_unique(status_value, board)
    now = uow.now
    lane = SwimLane(new_id(), project_id, name, status_value, 0, False, now, now, None)
    at = swim_lanes.next_position(board) if position is None else position
    placed = swim_lanes.place(board, lane, at, now)
    lane = next(x for x in placed if x.id == lane.id)
    await repo.insert(uow.ex, lane)
    uow.log(EntityType.SWIM_LANE, lane.id, project_id, "created")
    uow.emit(Event(EventKind.SWIM_LANE_CREATED, uow.actor.user_id, lane.id, project_id, lane))
    await _save(uow, board, placed, comment=f"lane {lane.name!r} was added")
    return lane


async def update_lane(uow: UnitOfWork, lane_id: str, patch: SwimLanePatch) -> SwimLane:
    """Rename a lane or move it to another place on the board (the others shift)."""
    current = await _lane(uow, lane_id)
    if "name" in patch:
        patch["name"] = projects.validate_title(patch["name"], "name")
    changed = replace(current, **patch, updated_at=uow.now)
    board = [current]
    placed = [changed]
    if "position" in patch:
        board = await repo.list_for_project(uow.ex, current.project_id)
        placed = swim_lanes.place(board, changed, patch["position"], uow.now)
    saved = await _save(uow, board, placed, f"lane {current.name!r} was moved", lane_id)
    return next((x for x in saved if x.id == lane_id), current)


async def reorder_lanes(
    uow: UnitOfWork, project_id: str, lane_ids: Sequence[str]
) -> list[SwimLane]:
    """Put every lane of the board in the given order."""
    project_id = (await lookups.project(uow, project_id, ADMIN)).id
    board = await repo.list_for_project(uow.ex, project_id)
    ordered = swim_lanes.reorder(board, lane_ids, uow.now)
    await _save(uow, board, ordered, comment="board reordered")
    return ordered


async def delete_lane(uow: UnitOfWork, lane_id: str) -> None:
    """Soft-delete a custom lane that no live work item uses."""
    lane = await _lane(uow, lane_id)
    in_use = await item_repo.count_with_status(uow.ex, lane.project_id, lane.status_value)
    swim_lanes.validate_removal(lane, in_use)
    await repo.update(uow.ex, replace(lane, deleted_at=uow.now, updated_at=uow.now))
    uow.log(EntityType.SWIM_LANE, lane.id, lane.project_id, "deleted")
    uow.emit(Event(EventKind.SWIM_LANE_DELETED, uow.actor.user_id, lane.id, lane.project_id))


async def _lane(uow: UnitOfWork, lane_id: str) -> SwimLane:
    """The live lane (for a project admin), or NotFound."""
    found = await repo.get(uow.ex, lane_id)
    if found is None:
        raise NotFound("swim lane", lane_id)
    await lookups.guard(uow, found.project_id, ADMIN, "swim lane", lane_id)
    return found


async def _save(
    uow: UnitOfWork,
    before: Sequence[SwimLane],
    after: Sequence[SwimLane],
    comment: str | None = None,
    target: str | None = None,
) -> list[SwimLane]:
    """Store, log and announce the lanes that changed (`target` on purpose); return them."""
    old = {lane.id: lane for lane in before}
    saved: list[SwimLane] = []
    for lane in after:
        previous = old.get(lane.id)
        if previous is None:
            continue
        changes = activity.diff(previous, lane, swim_lanes.UPDATABLE_FIELDS)
        if not changes:
            continue
        await repo.update(uow.ex, lane)
        saved.append(lane)
        why = None if lane.id == target else comment
        uow.log(EntityType.SWIM_LANE, lane.id, lane.project_id, "updated", changes, why)
        uow.emit(
            Event(
                EventKind.SWIM_LANE_UPDATED,
                uow.actor.user_id,
                lane.id,
                lane.project_id,
                lane,
                tuple(changes),
            )
        )
    return saved

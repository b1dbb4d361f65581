"""pm_projects."""

from __future__ import annotations

from pm.core.enums import ProjectStatus
from pm.core.members import Role
from pm.core.projects import UPDATABLE_FIELDS, Project, parse_key
from pm.core.records import record
from pm.db.executor import Executor, Statement
from pm.db.query import sql
from pm.db.rows import columns, insert_query, mapper, params, update_query

COLS = columns(Project)
_row = mapper(Project, status=ProjectStatus)

_GET = sql(f"SELECT {COLS} FROM pm_projects WHERE id = :id AND deleted_at IS NULL")
_KEY_TAKEN = sql("SELECT 1 FROM pm_projects WHERE key = :key")
_LIST = sql(
    f"SELECT {COLS} FROM pm_projects WHERE deleted_at IS NULL AND key > :after "
    "ORDER BY key LIMIT :limit"
)
_LIST_FOR_USER = sql(
    f"SELECT {columns(Project, 'p')} FROM pm_projects p JOIN pm_project_members m "
    "ON m.project_id = p.id AND m.user_id = :user_id "
    "WHERE p.deleted_at IS NULL AND p.key > :after ORDER BY p.key LIMIT :limit"
)
# A path names a project by id or by key (`pm.core.projects.parse_key` tells which); each
# lookup has a variant per column, so either way it is one indexed statement.
_BY = {"id": "id = :id", "key": "key = :id"}
_GET_WITH_ROLE = {
    by: sql(
        f"SELECT {columns(Project, 'p')}, m.role FROM pm_projects p LEFT JOIN "
        "pm_project_members m ON m.project_id = p.id AND m.user_id = :user_id "
        f"WHERE p.{cond} AND p.deleted_at IS NULL"
    )
    for by, cond in _BY.items()
}
_INSERT = insert_query("pm_projects", Project)
_UPDATE = update_query(
    "pm_projects", (*UPDATABLE_FIELDS, "version", "updated_at", "updated_by", "deleted_at")
)
# Prepares a work item's creation in one statement: reads the project with its next item
# number, the user's role in it and whether the item's status has a live lane. Inside the
# writer's turn nobody else writes, so the number stays the next until the creating unit's
# `_ADVANCE` (held back with the item's row: a refused or failed creation writes nothing).
_NEXT_NUMBER = {
    by: sql(
        f"SELECT {COLS}, (SELECT m.role FROM pm_project_members m "
        "WHERE m.project_id = pm_projects.id AND m.user_id = :user_id), "
        "EXISTS (SELECT 1 FROM pm_swim_lanes l WHERE l.project_id = pm_projects.id "
        f"AND l.status_value = :status AND l.deleted_at IS NULL) FROM pm_projects "
        f"WHERE {cond} AND deleted_at IS NULL"
    )
    for by, cond in _BY.items()
}
# Spares the projects' rows as far as a batch's memo of taken numbers is concerned: the
# memo follows the advance itself (pm.service.lookups.project_taking_item_number). It moves
# the number to a value, never back: a creation taken out of its batch after a later one
# took the number after its own (PostgreSQL's parked statements, pm.db.postgres) leaves a
# number unused instead of handing the later one's out again.
_ADVANCE = sql(
    "UPDATE pm_projects SET next_work_item_number = max(next_work_item_number, :next) "
    "WHERE id = :id",
    spares_projects=True,
    postgresql="UPDATE pm_projects SET next_work_item_number = "
    "greatest(next_work_item_number, :next) WHERE id = :id",
)


@record
class TakenNumber:
    """A project's next work item number (taken by the unit that reads it, inside the
    writer's turn), with what creating the item checks."""

    project: Project  # as read (its next number is the one taken)
    role: Role | None  # the user's role in the project
    number: int  # the first, when several were taken
    status_has_lane: bool  # whether the new item's status has a live lane


async def get(ex: Executor, project_id: str) -> Project | None:
    """A live project by id."""
    row = await ex.one(_GET, {"id": project_id})
    return None if row is None else _row(row)


def _by(id_or_key: str) -> tuple[str, str]:
    """Which column a path's project reference names, and the value to match."""
    key = parse_key(id_or_key)
    return ("id", id_or_key) if key is None else ("key", key)


async def get_with_role(
    ex: Executor, id_or_key: str, user_id: str
) -> tuple[Project, Role | None] | None:
    """A live project by id or key (any case), with `user_id`'s role in it (one statement)."""
    by, value = _by(id_or_key)
    row = await ex.one(_GET_WITH_ROLE[by], {"id": value, "user_id": user_id})
    return None if row is None else (_row(row[:-1]), None if row[-1] is None else Role(row[-1]))


async def key_taken(ex: Executor, key: str) -> bool:
    """True when any project, live or deleted, has this key (keys are never reused)."""
    return await ex.one(_KEY_TAKEN, {"key": key}) is not None


async def list_live(
    ex: Executor, after: str, limit: int, member: str | None = None
) -> list[Project]:
    """Live projects ordered by key, after the cursor key (only `member`'s, when given)."""
    if member is None:
        rows = await ex.all(_LIST, {"after": after, "limit": limit})
    else:
        rows = await ex.all(_LIST_FOR_USER, {"after": after, "limit": limit, "user_id": member})
    return [_row(r) for r in rows]


async def insert(ex: Executor, project: Project) -> None:
    """Store a new project."""
    await ex.run(*_INSERT.one(project))


async def update(ex: Executor, project: Project) -> None:
    """Store a changed project."""
    await ex.run(
        _UPDATE,
        params(
            project, (*UPDATABLE_FIELDS, "version", "updated_at", "updated_by", "deleted_at", "id")
        ),
    )


async def next_item_number(
    ex: Executor, id_or_key: str, user_id: str, status: str
) -> TakenNumber | None:
    """A live project's next work item number (read inside the write transaction: the
    creating unit stores `advancing_numbers` with its items), or None for no live project
    (named by id or key); see `TakenNumber` for what comes with it."""
    by, value = _by(id_or_key)
    row = await ex.one(_NEXT_NUMBER[by], {"id": value, "user_id": user_id, "status": status})
    if row is None:
        return None
    project = _row(row[:-2])
    role = None if row[-2] is None else Role(row[-2])
    return TakenNumber(project, role, project.next_work_item_number, bool(row[-1]))


def advancing_numbers(project_id: str, next_number: int) -> Statement:
    """The write moving a project's next work item number on to `next_number` (past the
    ones taken); a number already further on stays."""
    return _ADVANCE, {"id": project_id, "next": next_number}

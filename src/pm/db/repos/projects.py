"""pm_projects."""

from __future__ import annotations

from pm.core.enums import ProjectStatus
from pm.core.members import Role
from pm.core.projects import UPDATABLE_FIELDS, Project
from pm.db.executor import Executor
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
_GET_WITH_ROLE = sql(
    f"SELECT {columns(Project, 'p')}, m.role FROM pm_projects p LEFT JOIN pm_project_members m "
    "ON m.project_id = p.id AND m.user_id = :user_id WHERE p.id = :id AND p.deleted_at IS NULL"
)
_INSERT = insert_query("pm_projects", Project)
_UPDATE = update_query(
    "pm_projects", (*UPDATABLE_FIELDS, "version", "updated_at", "updated_by", "deleted_at")
)
# Takes the next work item number and reads the project and the user's role, in one
# statement: creating an item needs all three (a refused or failed creation is rolled back).
_TAKE_NUMBER_WITH_ROLE = sql(
    "UPDATE pm_projects SET next_work_item_number = next_work_item_number + 1 "
    f"WHERE id = :id AND deleted_at IS NULL RETURNING {COLS}, (SELECT m.role FROM "
    "pm_project_members m WHERE m.project_id = pm_projects.id AND m.user_id = :user_id)"
)


async def get(ex: Executor, project_id: str) -> Project | None:
    """A live project by id."""
    row = await ex.one(_GET, {"id": project_id})
    return None if row is None else _row(row)


async def get_with_role(
    ex: Executor, project_id: str, user_id: str
) -> tuple[Project, Role | None] | None:
    """A live project with `user_id`'s role in it (one statement)."""
    row = await ex.one(_GET_WITH_ROLE, {"id": project_id, "user_id": user_id})
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


async def take_item_number_with_role(
    ex: Executor, project_id: str, user_id: str
) -> tuple[Project, Role | None, int] | None:
    """Reserve a live project's next work item number (inside the write transaction); with
    the project (as updated) and `user_id`'s role in it — or None for no live project."""
    row = await ex.one(_TAKE_NUMBER_WITH_ROLE, {"id": project_id, "user_id": user_id})
    if row is None:
        return None
    project = _row(row[:-1])
    return project, None if row[-1] is None else Role(row[-1]), project.next_work_item_number - 1

"""pm_project_members."""

from __future__ import annotations

from pm.core.members import ProjectMember, Role
from pm.db.executor import Executor
from pm.db.query import sql
from pm.db.rows import columns, insert_query, mapper, params

COLS = columns(ProjectMember)
_row = mapper(ProjectMember, role=Role)

_ROLE = sql(
    "SELECT role FROM pm_project_members WHERE project_id = :project_id AND user_id = :user_id"
)
_GET = sql(
    f"SELECT {COLS} FROM pm_project_members WHERE project_id = :project_id AND user_id = :user_id"
)
_LIST = sql(
    f"SELECT {COLS} FROM pm_project_members WHERE project_id = :project_id ORDER BY user_id"
)
_INSERT = insert_query("pm_project_members", ProjectMember)
_UPDATE = sql(
    "UPDATE pm_project_members SET role = :role, updated_at = :updated_at, "
    "updated_by = :updated_by WHERE project_id = :project_id AND user_id = :user_id"
)
_DELETE = sql(
    "DELETE FROM pm_project_members WHERE project_id = :project_id AND user_id = :user_id"
)


async def role_of(ex: Executor, project_id: str, user_id: str) -> Role | None:
    """The user's role in the project, or None for a non-member."""
    row = await ex.one(_ROLE, {"project_id": project_id, "user_id": user_id})
    return None if row is None else Role(row[0])


async def get(ex: Executor, project_id: str, user_id: str) -> ProjectMember | None:
    """One membership."""
    row = await ex.one(_GET, {"project_id": project_id, "user_id": user_id})
    return None if row is None else _row(row)


async def list_for_project(ex: Executor, project_id: str) -> list[ProjectMember]:
    """Every member of a project, by user id."""
    return [_row(r) for r in await ex.all(_LIST, {"project_id": project_id})]


async def insert(ex: Executor, member: ProjectMember) -> None:
    """Add a member."""
    await ex.run(*_INSERT.one(member))


async def update(ex: Executor, member: ProjectMember) -> None:
    """Store a changed role."""
    await ex.run(
        _UPDATE, params(member, ("role", "updated_at", "updated_by", "project_id", "user_id"))
    )


async def delete(ex: Executor, project_id: str, user_id: str) -> None:
    """Remove a member."""
    await ex.run(_DELETE, {"project_id": project_id, "user_id": user_id})

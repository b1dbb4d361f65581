"""Project membership: viewers read, editors change work, admins manage the project."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pm.core.errors import Forbidden, InvalidInput, NotFound
from pm.core.records import record


class Role(StrEnum):
    """A member's role in one project."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


@record
class ProjectMember:
    """A user's role in a project."""

    project_id: str
    user_id: str
    role: Role
    created_at: int
    updated_at: int
    created_by: str
    updated_by: str


UPDATABLE_FIELDS = ("role",)


def allows(role: Role, needed: Role) -> bool:
    """True when `role` includes everything `needed` may do."""
    return _RANK[role] >= _RANK[needed]


def check_access(role: Role | None, needed: Role, *, tenant_admin: bool, project_id: str) -> None:
    """Tenant admins may do everything; non-members see nothing; members need the role.

    A project you are not a member of answers exactly as if it did not exist.
    """
    if tenant_admin:
        return
    if role is None:
        raise NotFound("project", project_id)
    if not allows(role, needed):
        raise Forbidden(
            f"this needs the {needed.value} role in the project (yours is {role.value})"
        )


def check_keeps_an_admin(
    members: Iterable[ProjectMember], user_id: str, new_role: Role | None
) -> None:
    """A project always keeps at least one admin: the last one cannot leave or step down."""
    admins = {m.user_id for m in members if m.role is Role.ADMIN}
    if admins == {user_id} and new_role is not Role.ADMIN:
        raise InvalidInput(
            "a project needs at least one admin: make someone else admin first",
            field="role" if new_role is not None else "user_id",
        )

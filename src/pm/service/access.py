"""Who may do what in a project: the one place the service layer checks membership."""

from __future__ import annotations

from pm.core.errors import Forbidden
from pm.core.members import Role, check_access
from pm.db.repos import members
from pm.service.uow import Reader

VIEW, EDIT, ADMIN = Role.VIEWER, Role.EDITOR, Role.ADMIN


async def require(reader: Reader, project_id: str, needed: Role) -> None:
    """Raise unless the actor holds `needed` in the project (non-members get NotFound)."""
    actor = reader.actor
    if actor.is_tenant_admin:
        return
    role = await members.role_of(reader.ex, project_id, actor.user_id)
    check_access(role, needed, tenant_admin=False, project_id=project_id)


def check(reader: Reader, project_id: str, role: Role | None, needed: Role) -> None:
    """`require` for a role already read (e.g. joined to the entity)."""
    check_access(role, needed, tenant_admin=reader.actor.is_tenant_admin, project_id=project_id)


def require_tenant_admin(reader: Reader, what: str) -> None:
    """Tenant-wide views (every project at once) are for tenant admins."""
    if not reader.actor.is_tenant_admin:
        raise Forbidden(
            f"{what} spans every project of the tenant and needs the tenant "
            "admin role; ask per project instead"
        )

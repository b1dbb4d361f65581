"""Who is acting: the authenticated principal, as the domain sees it."""

from __future__ import annotations

from pm.core.records import record


@record
class Actor:
    """The user performing a request, in their tenant (a tenant admin may do everything)."""

    tenant_id: str
    user_id: str
    is_tenant_admin: bool = False

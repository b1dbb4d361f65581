"""Export and import of a tenant (or one project) as one document."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from pm.core.errors import NotFound
from pm.db.repos import sync as repo
from pm.service import access, lookups
from pm.service.access import ADMIN
from pm.service.uow import Reader

FORMAT = "pm-export"
SCHEMA_VERSION = 1
SECTIONS = tuple(s.name for s in repo.SECTIONS)


async def export_scope(reader: Reader, project: str | None) -> str | None:
    """Check the actor may export; the project id for `project` (id or key), else None.

    The whole tenant is for tenant admins; one project for its admins (and tenant admins).
    """
    if project is None:
        access.require_tenant_admin(reader, "an export of the whole tenant")
        return None
    project_id = await repo.project_id_by_key(reader.ex, project) or project
    try:
        found = await lookups.project(reader, project_id, ADMIN)
    except NotFound:
        raise NotFound("project", project, field="project") from None
    return found.id


def envelope(reader: Reader) -> dict[str, Any]:
    """The document's fields before its sections."""
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "exported_at": reader.now,
        "exported_by": reader.actor.user_id,
        "tenant_id": reader.actor.tenant_id,
    }


async def export_pages(
    reader: Reader, project_id: str | None
) -> AsyncIterator[tuple[str, list[Any]]]:
    """Every section's rows in pages, parents before children (`reader` should be a snapshot)."""
    for section in repo.SECTIONS:
        for split in section.splits or (None,):
            after = None
            while True:
                rows, after = await repo.page(reader.ex, section.name, after, project_id, split)
                yield section.name, rows
                await asyncio.sleep(0)  # other requests run between pages
                if after is None:
                    break

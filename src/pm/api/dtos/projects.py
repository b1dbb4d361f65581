"""Project request bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import MISSING, Field

from pm.api.dtos.common import Body, LongText, Title, Version
from pm.core.enums import ProjectStatus
from pm.core.projects import KEY_PATTERN
from pm.service.projects import ProjectPatch


class CreateProject(Body):
    """A new project; `key` prefixes its item keys (PONE-1) and can never be reused."""

    key: Annotated[
        str,
        # Documented for clients; pm.core checks it (422 with field "key").
        Field(
            min_length=2,
            max_length=10,
            examples=["PONE"],
            json_schema_extra={"pattern": KEY_PATTERN.pattern},
        ),
    ]
    title: Title
    description: LongText | None = None


class UpdateProject(Body):
    """Fields to change; absent fields stay as they are."""

    title: Title | MISSING = MISSING
    description: LongText | MISSING | None = MISSING
    status: ProjectStatus | MISSING = MISSING
    expected_version: Version | None = None

    def patch(self) -> ProjectPatch:
        """The fields the client sent, as the service's patch."""
        patch: ProjectPatch = {}
        if self.title is not MISSING:
            patch["title"] = self.title
        if self.description is not MISSING:
            patch["description"] = self.description
        if self.status is not MISSING:
            patch["status"] = self.status
        return patch

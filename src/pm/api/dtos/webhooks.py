"""Webhook request bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import MISSING, Field

from pm.api.dtos.common import Body, EntityId, LongText, Version
from pm.service.webhooks import WebhookPatch

Url = Annotated[str, Field(min_length=1, max_length=2000, examples=["https://example.com/hook"])]
EventTypes = Annotated[
    list[Annotated[str, Field(max_length=60)]],
    Field(
        min_length=1,
        max_length=64,
        description='Types like "work_item.updated" (`<entity>.<created|updated|deleted>`), '
        'or ["*"] for all',
        examples=[["work_item.created", "work_item.updated"]],
    ),
]


class CreateWebhook(Body):
    """A subscription: one project's events (`project_id`: id or key) or the tenant's."""

    url: Url
    event_types: EventTypes
    project_id: EntityId | None = None
    description: LongText | None = None


class UpdateWebhook(Body):
    """Fields to change; `enabled: false` pauses deliveries, `true` resumes them."""

    url: Url | MISSING = MISSING
    event_types: EventTypes | MISSING = MISSING
    description: LongText | MISSING | None = MISSING
    enabled: bool | MISSING = MISSING
    expected_version: Version | None = None

    def patch(self) -> WebhookPatch:
        """The fields the client sent, as the service's patch."""
        patch: WebhookPatch = {}
        if self.url is not MISSING:
            patch["url"] = self.url
        if self.event_types is not MISSING:
            patch["event_types"] = list(self.event_types)
        if self.description is not MISSING:
            patch["description"] = self.description
        if self.enabled is not MISSING:
            patch["enabled"] = self.enabled
        return patch

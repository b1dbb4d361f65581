"""Dependency request bodies."""

from __future__ import annotations

from pm.api.dtos.common import Body, EntityId
from pm.core.enums import DependencyType


class CreateDependency(Body):
    """A link between two work items of your tenant (they may be in different projects)."""

    blocking_item_id: EntityId
    blocked_item_id: EntityId
    dependency_type: DependencyType

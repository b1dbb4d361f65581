"""The bulk request body: operations on work items, comments, dependencies and sprints.

Each operation is the single route's body plus what its URL would carry (`project_id`,
`work_item_id`, `id`), tagged by `entity` and `op` (a discriminated union, so the schema
documents every shape). An id field may hold `$name`: the id of the entity an earlier
operation created with `"ref": "name"`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from typing_extensions import TypeAliasType

from pm.api.dtos.comments import CreateComment, UpdateComment
from pm.api.dtos.common import Body, EntityId, Version
from pm.api.dtos.dependencies import CreateDependency
from pm.api.dtos.sprints import CreateSprint, UpdateSprint
from pm.api.dtos.work_items import CreateWorkItem, UpdateWorkItem
from pm.service.bulk import MAX_OPERATIONS

Ref = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description='A name for the created entity; later operations refer to it as "$name".',
    ),
]


class _Created(Body):
    """A create operation may name what it creates."""

    op: Literal["create"]
    ref: Ref | None = None


class _ById(Body):
    """An update or delete names its target by id (or `$ref`)."""

    id: EntityId


class _Deleted(_ById):
    op: Literal["delete"]


class WorkItemCreate(CreateWorkItem, _Created):
    """Create a work item in `project_id` (POST /projects/{id}/work-items)."""

    entity: Literal["work_item"]
    project_id: EntityId


class WorkItemUpdate(UpdateWorkItem, _ById):
    """Change a work item (PATCH /work-items/{id}); `id` may also be its key."""

    op: Literal["update"]
    entity: Literal["work_item"]


class WorkItemDelete(_Deleted):
    """Delete a work item and everything below it (DELETE /work-items/{id})."""

    entity: Literal["work_item"]
    expected_version: Version | None = None


class CommentCreate(CreateComment, _Created):
    """Comment on `work_item_id` (POST /work-items/{id}/comments)."""

    entity: Literal["comment"]
    work_item_id: EntityId


class CommentUpdate(UpdateComment, _ById):
    """Edit one of your comments (PATCH /comments/{id})."""

    op: Literal["update"]
    entity: Literal["comment"]


class CommentDelete(_Deleted):
    """Delete one of your comments (DELETE /comments/{id})."""

    entity: Literal["comment"]


class DependencyCreate(CreateDependency, _Created):
    """Link two work items (POST /dependencies)."""

    entity: Literal["dependency"]


class DependencyDelete(_Deleted):
    """Remove a link (DELETE /dependencies/{id})."""

    entity: Literal["dependency"]


class SprintCreate(CreateSprint, _Created):
    """Create a sprint in `project_id` (POST /projects/{id}/sprints)."""

    entity: Literal["sprint"]
    project_id: EntityId


class SprintUpdate(UpdateSprint, _ById):
    """Change a sprint (PATCH /sprints/{id})."""

    op: Literal["update"]
    entity: Literal["sprint"]


class SprintDelete(_Deleted):
    """Delete a sprint; its items go back to the backlog (DELETE /sprints/{id})."""

    entity: Literal["sprint"]
    expected_version: Version | None = None


# Named unions: the schema then maps each `entity` to a union of its own, tagged by `op`.
WorkItemOperation = TypeAliasType(
    "WorkItemOperation",
    Annotated[WorkItemCreate | WorkItemUpdate | WorkItemDelete, Field(discriminator="op")],
)
CommentOperation = TypeAliasType(
    "CommentOperation",
    Annotated[CommentCreate | CommentUpdate | CommentDelete, Field(discriminator="op")],
)
DependencyOperation = TypeAliasType(
    "DependencyOperation",
    Annotated[DependencyCreate | DependencyDelete, Field(discriminator="op")],
)
SprintOperation = TypeAliasType(
    "SprintOperation",
    Annotated[SprintCreate | SprintUpdate | SprintDelete, Field(discriminator="op")],
)
BulkOperation = Annotated[
    WorkItemOperation | CommentOperation | DependencyOperation | SprintOperation,
    Field(discriminator="entity"),
]


class BulkRequest(Body):
    """Up to 1,000 operations, run in order in one transaction: all of them or none."""

    dry_run: bool = Field(
        False, description="Run every rule and answer what would happen; write nothing."
    )
    operations: list[BulkOperation] = Field(min_length=1, max_length=MAX_OPERATIONS)

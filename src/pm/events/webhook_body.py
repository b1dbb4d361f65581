"""The JSON a webhook receives for a stored event: `{"type", "timestamp", "data"}`.

`data` is the changed entity with the REST field names and values (enum values as the
REST API spells them: `story`, `active`), plus `changes`, `seq`, `tenant_id` and `user_id`;
for a deletion, the entity's `id` (and the ids the event names).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from pm.events.codec import event_to_dict
from pm.proto import messages_pb2 as pb

_ENTITY_FIELDS = (
    "work_item",
    "sprint",
    "comment",
    "project",
    "time_entry",
    "dependency",
    "swim_lane",
    "member",
    "webhook",
)


def iso(timestamp: int) -> str:
    """A Unix time as RFC 3339 (UTC)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _enum_values(data: dict[str, Any], descriptor: Descriptor) -> dict[str, Any]:
    """Enum names (WORK_ITEM_TYPE_STORY) → the REST values (story), recursively."""
    for field in descriptor.fields:
        if field.name not in data:
            continue
        value = data[field.name]
        if field.type == FieldDescriptor.TYPE_ENUM and field.enum_type is not None:
            prefix = _prefix(field.enum_type.name)
            if field.is_repeated:
                data[field.name] = [str(v).removeprefix(prefix).lower() for v in value]
            else:
                data[field.name] = str(value).removeprefix(prefix).lower()
        elif field.message_type is not None and not field.message_type.GetOptions().map_entry:
            for item in value if field.is_repeated else [value]:
                _enum_values(item, field.message_type)
    return data


def _prefix(enum_name: str) -> str:
    """WorkItemType → WORK_ITEM_TYPE_ (the protobuf style guide's value prefix)."""
    snake = "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(enum_name))
    return snake.upper() + "_"


def webhook_data(kind: str, body: bytes) -> dict[str, Any]:
    """The `data` of a webhook message for an event body (without seq and tenant)."""
    fields = event_to_dict(body)
    fields.pop("kind")
    descriptor = pb.WebSocketMessage.DESCRIPTOR.fields_by_name[kind].message_type
    if descriptor is not None:
        _enum_values(fields, descriptor)
    data: dict[str, Any] = {}
    for name in _ENTITY_FIELDS:
        entity = fields.pop(name, None)
        if isinstance(entity, dict):
            data.update(entity)
            break
    for key, value in fields.items():
        if "id" not in data and key == kind.rsplit("_", 1)[0] + "_id":
            data["id"] = value  # a deletion names the entity by id
        data[key] = value
    data.setdefault("changes", [])
    return data

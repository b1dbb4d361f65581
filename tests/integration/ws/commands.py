"""Helpers for the WebSocket command tests: connect, expect a reply case, make fixtures."""

from __future__ import annotations

import itertools
from typing import Any

from google.protobuf.message import Message

from pm.proto import messages_pb2 as pb
from tests.conftest import token
from tests.wsclient import WsClient, subscribe

_ids = itertools.count(1)


async def connect(ws_url: str, tenant: str, user: str = "alice") -> WsClient:
    """A client of `user` in `tenant`."""
    return await WsClient.open(ws_url, token(tenant, user))


async def reply(
    client: WsClient, case: str, payload: Message, expect: str, message_id: str | None = None
) -> Any:
    """Send a request; check the reply echoes its message_id and carries `expect`; return it."""
    sent = message_id if message_id is not None else f"{case}-{next(_ids)}"
    message = await client.request(case, payload, message_id=sent)
    assert message.message_id == sent
    got = message.WhichOneof("payload")
    assert got == expect, f"expected {expect}, got {got}: {message}"
    return getattr(message, expect)


async def error(client: WsClient, case: str, payload: Message) -> pb.Error:
    """Send a request that must fail; return its Error."""
    result: pb.Error = await reply(client, case, payload, "error")
    return result


async def watch(client: WsClient, project_id: str) -> int:
    """Subscribe `client` to a project; returns the tenant's current seq."""
    confirmed = await reply(client, "subscribe", subscribe([project_id]), "subscription_confirmed")
    return int(confirmed.current_seq)


ROLES: dict[str, pb.ProjectRole.ValueType] = {
    "viewer": pb.PROJECT_ROLE_VIEWER,
    "editor": pb.PROJECT_ROLE_EDITOR,
    "admin": pb.PROJECT_ROLE_ADMIN,
}


async def add_member(
    client: WsClient, project_id: str, user_id: str, role: str = "editor"
) -> pb.ProjectMember:
    """Give `user_id` a role in the project over the socket (`client` is a project admin)."""
    added = await reply(
        client,
        "set_member_request",
        pb.SetMemberRequest(project_id=project_id, user_id=user_id, role=ROLES[role]),
        "member_added",
    )
    result: pb.ProjectMember = added.member
    return result


async def project(client: WsClient, key: str, title: str = "Project") -> pb.Project:
    """Create a project over the socket."""
    created = await reply(
        client,
        "create_project_request",
        pb.CreateProjectRequest(key=key, title=title),
        "project_created",
    )
    result: pb.Project = created.project
    return result


async def item(
    client: WsClient,
    project_id: str,
    title: str = "Item",
    item_type: pb.WorkItemType.ValueType = pb.WORK_ITEM_TYPE_STORY,
) -> pb.WorkItem:
    """Create a work item over the socket."""
    created = await reply(
        client,
        "create_work_item_request",
        pb.CreateWorkItemRequest(item_type=item_type, title=title, project_id=project_id),
        "work_item_created",
    )
    result: pb.WorkItem = created.work_item
    return result

"""WebSocket requests get the same size and range checks as REST, and "" clears a field."""

from __future__ import annotations

import httpx

from pm.proto import messages_pb2 as pb
from tests.conftest import token
from tests.live import LiveServer
from tests.wsclient import WsClient


async def _project(server: LiveServer, tenant: str) -> str:
    headers = {"Authorization": f"Bearer {token(tenant)}"}
    async with httpx.AsyncClient(base_url=f"{server.url}/api/v1", headers=headers) as http:
        response = await http.post("/projects", json={"key": "SHAPE", "title": "s"})
        return str(response.json()["id"])


async def test_oversized_and_out_of_range_fields_are_named(server: LiveServer, ws_url: str) -> None:
    project = await _project(server, "shape")
    client = await WsClient.open(ws_url, token("shape"))
    try:
        long_title = await client.request(
            "create_work_item_request",
            pb.CreateWorkItemRequest(
                item_type=pb.WORK_ITEM_TYPE_TASK, title="t" * 501, project_id=project
            ),
        )
        assert (long_title.error.code, long_title.error.field) == ("VALIDATION_ERROR", "title")
        blank = await client.request(
            "create_work_item_request",
            pb.CreateWorkItemRequest(
                item_type=pb.WORK_ITEM_TYPE_TASK, title="   ", project_id=project
            ),
        )
        assert blank.error.field == "title"
        negative = await client.request(
            "create_sprint_request",
            pb.CreateSprintRequest(project_id=project, name="S", start_date=-5, end_date=10),
        )
        assert negative.error.field == "start_date"
        bad_ids = await client.request("subscribe", pb.Subscribe(project_ids=["x" * 65]))
        assert bad_ids.error.field == "project_ids"
    finally:
        await client.close()


async def test_empty_string_clears_a_nullable_field(server: LiveServer, ws_url: str) -> None:
    project = await _project(server, "clear")
    client = await WsClient.open(ws_url, token("clear"))
    try:
        created = await client.request(
            "create_work_item_request",
            pb.CreateWorkItemRequest(
                item_type=pb.WORK_ITEM_TYPE_TASK,
                title="t",
                project_id=project,
                description="to be cleared",
            ),
        )
        item = created.work_item_created.work_item
        assert item.description == "to be cleared"
        cleared = await client.request(
            "update_work_item_request",
            pb.UpdateWorkItemRequest(work_item_id=item.id, description=""),
        )
        assert not cleared.work_item_updated.work_item.HasField("description")
        assert [c.field_name for c in cleared.work_item_updated.changes] == ["description"]
    finally:
        await client.close()


async def test_reused_message_id_names_message_id(server: LiveServer, ws_url: str) -> None:
    project = await _project(server, "reuse")
    client = await WsClient.open(ws_url, token("reuse"))
    try:
        await client.request(
            "create_work_item_request",
            pb.CreateWorkItemRequest(
                item_type=pb.WORK_ITEM_TYPE_TASK, title="a", project_id=project
            ),
            message_id="same",
        )
        other = await client.request(
            "create_work_item_request",
            pb.CreateWorkItemRequest(
                item_type=pb.WORK_ITEM_TYPE_TASK, title="b", project_id=project
            ),
            message_id="same",
        )
        assert (other.error.code, other.error.field) == ("VALIDATION_ERROR", "message_id")
    finally:
        await client.close()

"""Sprint commands over the WebSocket: replies, errors, events and idempotent replays."""

from __future__ import annotations

from pm.proto import messages_pb2 as pb
from tests.integration.ws.commands import add_member, connect, error, item, project, reply, watch
from tests.wsclient import WsClient

DAY = 86_400


async def _sprints(client: WsClient, project_id: str) -> list[pb.Sprint]:
    found = await reply(
        client, "get_sprints_request", pb.GetSprintsRequest(project_id=project_id), "sprints_list"
    )
    return list(found.sprints)


async def _sprint(client: WsClient, project_id: str, name: str, start: int = 0) -> pb.Sprint:
    created = await reply(
        client,
        "create_sprint_request",
        pb.CreateSprintRequest(
            project_id=project_id, name=name, start_date=start, end_date=start + 14 * DAY
        ),
        "sprint_created",
    )
    result: pb.Sprint = created.sprint
    return result


async def test_create_replies_lists_and_tells_subscribers(ws_url: str) -> None:
    alice = await connect(ws_url, "spr-create")
    bob = await connect(ws_url, "spr-create", "bob")
    try:
        board = await project(alice, "SPR")
        await add_member(alice, board.id, "bob", "viewer")
        await watch(bob, board.id)
        created = await reply(
            alice,
            "create_sprint_request",
            pb.CreateSprintRequest(
                project_id=board.id, name="Sprint 1", goal="Ship", start_date=DAY, end_date=8 * DAY
            ),
            "sprint_created",
            message_id="plan-1",
        )
        sprint = created.sprint
        assert created.user_id == "alice"
        assert (sprint.project_id, sprint.name, sprint.goal) == (board.id, "Sprint 1", "Ship")
        assert (sprint.start_date, sprint.end_date) == (DAY, 8 * DAY)
        assert (sprint.status, sprint.version) == (pb.SPRINT_STATUS_PLANNED, 1)
        event = await bob.event("sprint_created")
        assert event.sprint_created == created
        later = await _sprint(alice, board.id, "Sprint 2", start=20 * DAY)
        assert not later.HasField("goal")
        assert [s.id for s in await _sprints(alice, board.id)] == [sprint.id, later.id]
    finally:
        await alice.close()
        await bob.close()


async def test_create_errors(ws_url: str) -> None:
    alice = await connect(ws_url, "spr-create-errors")
    intruder = await connect(ws_url, "spr-create-intruder", "mallory")
    try:
        board = await project(alice, "SPE")
        backwards = await error(
            alice,
            "create_sprint_request",
            pb.CreateSprintRequest(project_id=board.id, name="S", start_date=DAY, end_date=0),
        )
        assert (backwards.code, backwards.field) == ("VALIDATION_ERROR", "end_date")
        nameless = await error(
            alice,
            "create_sprint_request",
            pb.CreateSprintRequest(project_id=board.id, name=" ", start_date=0, end_date=DAY),
        )
        assert (nameless.code, nameless.field) == ("VALIDATION_ERROR", "name")
        foreign = await error(
            intruder,
            "create_sprint_request",
            pb.CreateSprintRequest(project_id=board.id, name="S", start_date=0, end_date=DAY),
        )
        assert foreign.code == "NOT_FOUND"
        listing = await error(
            intruder, "get_sprints_request", pb.GetSprintsRequest(project_id=board.id)
        )
        assert listing.code == "NOT_FOUND"
        assert await _sprints(alice, board.id) == []
    finally:
        await alice.close()
        await intruder.close()


async def test_update_reports_changes_to_caller_and_subscribers(ws_url: str) -> None:
    alice = await connect(ws_url, "spr-update")
    bob = await connect(ws_url, "spr-update", "bob")
    try:
        board = await project(alice, "SPU")
        sprint = await _sprint(alice, board.id, "Old")
        await add_member(alice, board.id, "bob", "viewer")
        await watch(bob, board.id)
        updated = await reply(
            alice,
            "update_sprint_request",
            pb.UpdateSprintRequest(
                sprint_id=sprint.id,
                expected_version=1,
                name="New",
                status=pb.SPRINT_STATUS_ACTIVE,
            ),
            "sprint_updated",
        )
        assert (updated.sprint.name, updated.sprint.version) == ("New", 2)
        assert updated.sprint.status == pb.SPRINT_STATUS_ACTIVE
        assert updated.user_id == "alice"
        assert [(c.field_name, c.old_value, c.new_value) for c in updated.changes] == [
            ("name", "Old", "New"),
            ("status", "planned", "active"),
        ]
        assert (await bob.event("sprint_updated")).sprint_updated == updated
        assert [(s.name, s.version) for s in await _sprints(alice, board.id)] == [("New", 2)]
    finally:
        await alice.close()
        await bob.close()


async def test_update_errors(ws_url: str) -> None:
    alice = await connect(ws_url, "spr-update-errors")
    intruder = await connect(ws_url, "spr-update-intruder", "alice")
    try:
        board = await project(alice, "SPV")
        sprint, second = await _sprint(alice, board.id, "One"), await _sprint(alice, board.id, "2")
        stale = pb.UpdateSprintRequest(sprint_id=sprint.id, expected_version=9, name="Late")
        skipping = pb.UpdateSprintRequest(sprint_id=sprint.id, status=pb.SPRINT_STATUS_COMPLETED)
        unknown = pb.UpdateSprintRequest(sprint_id=sprint.id, status=pb.SPRINT_STATUS_UNSPECIFIED)
        for request, code, field in (
            (stale, "CONFLICT", "expected_version"),
            (skipping, "VALIDATION_ERROR", "status"),
            (unknown, "VALIDATION_ERROR", "status"),
        ):
            refused = await error(alice, "update_sprint_request", request)
            assert (refused.code, refused.field) == (code, field)
        start = pb.UpdateSprintRequest(sprint_id=sprint.id, status=pb.SPRINT_STATUS_ACTIVE)
        foreign = await error(intruder, "update_sprint_request", start)
        assert foreign.code == "NOT_FOUND"
        await reply(alice, "update_sprint_request", start, "sprint_updated")
        two_active = await error(
            alice,
            "update_sprint_request",
            pb.UpdateSprintRequest(sprint_id=second.id, status=pb.SPRINT_STATUS_ACTIVE),
        )
        assert (two_active.code, two_active.field) == ("CONFLICT", "status")
        assert [s.status for s in await _sprints(alice, board.id)] == [
            pb.SPRINT_STATUS_ACTIVE,
            pb.SPRINT_STATUS_PLANNED,
        ]
    finally:
        await alice.close()
        await intruder.close()


async def test_delete_returns_items_to_the_backlog(ws_url: str) -> None:
    alice = await connect(ws_url, "spr-delete")
    bob = await connect(ws_url, "spr-delete", "bob")
    intruder = await connect(ws_url, "spr-delete-intruder", "mallory")
    try:
        board = await project(alice, "SPD")
        sprint = await _sprint(alice, board.id, "Doomed")
        story = await item(alice, board.id, "In the sprint")
        await reply(
            alice,
            "update_work_item_request",
            pb.UpdateWorkItemRequest(work_item_id=story.id, sprint_id=sprint.id),
            "work_item_updated",
        )
        await add_member(alice, board.id, "bob", "viewer")
        await watch(bob, board.id)
        foreign = await error(
            intruder, "delete_sprint_request", pb.DeleteSprintRequest(sprint_id=sprint.id)
        )
        assert foreign.code == "NOT_FOUND"
        deleted = await reply(
            alice,
            "delete_sprint_request",
            pb.DeleteSprintRequest(sprint_id=sprint.id),
            "sprint_deleted",
        )
        assert (deleted.sprint_id, deleted.user_id) == (sprint.id, "alice")
        moved, gone = await bob.events(2)
        assert moved.work_item_updated.work_item.id == story.id
        assert not moved.work_item_updated.work_item.HasField("sprint_id")
        assert gone.sprint_deleted == deleted
        assert await _sprints(alice, board.id) == []
        again = await error(
            alice, "delete_sprint_request", pb.DeleteSprintRequest(sprint_id=sprint.id)
        )
        assert again.code == "NOT_FOUND"
    finally:
        await alice.close()
        await bob.close()
        await intruder.close()


async def test_a_repeated_message_id_replays_the_first_reply(ws_url: str) -> None:
    alice = await connect(ws_url, "spr-replay")
    bob = await connect(ws_url, "spr-replay", "bob")
    try:
        board = await project(alice, "SPX")
        await add_member(alice, board.id, "bob", "viewer")
        await watch(bob, board.id)
        plan = pb.CreateSprintRequest(project_id=board.id, name="Once", start_date=0, end_date=DAY)
        first = await alice.request("create_sprint_request", plan, message_id="plan")
        await bob.event("sprint_created")
        again = await alice.request("create_sprint_request", plan, message_id="plan")
        assert again.SerializeToString() == first.SerializeToString()
        assert [s.name for s in await _sprints(alice, board.id)] == ["Once"]

        sprint_id = first.sprint_created.sprint.id
        drop = pb.DeleteSprintRequest(sprint_id=sprint_id)
        deleted = await alice.request("delete_sprint_request", drop, message_id="drop")
        await bob.event("sprint_deleted")
        replayed = await alice.request("delete_sprint_request", drop, message_id="drop")
        assert replayed.SerializeToString() == deleted.SerializeToString()
        assert replayed.WhichOneof("payload") == "sprint_deleted"
        assert await bob.silent(1.0)
    finally:
        await alice.close()
        await bob.close()

"""Project commands over the WebSocket: replies, errors, events and idempotent replays."""

from __future__ import annotations

from pm.proto import messages_pb2 as pb
from tests.integration.ws.commands import add_member, connect, error, item, project, reply, watch
from tests.wsclient import WsClient, subscribe


async def _projects(client: WsClient) -> list[pb.Project]:
    found = await reply(client, "list_projects_request", pb.ListProjectsRequest(), "project_list")
    return list(found.projects)


async def test_create_replies_with_the_project_and_lists_it(ws_url: str) -> None:
    alice = await connect(ws_url, "prj-create")
    try:
        created = await reply(
            alice,
            "create_project_request",
            pb.CreateProjectRequest(key="ALPHA", title="  Alpha  ", description="First"),
            "project_created",
            message_id="create-alpha",
        )
        made = created.project
        assert created.user_id == "alice"
        assert (made.key, made.title, made.description) == ("ALPHA", "Alpha", "First")
        assert made.status == pb.PROJECT_STATUS_ACTIVE
        assert (made.version, made.next_work_item_number) == (1, 1)
        assert made.created_by == made.updated_by == "alice"
        assert not made.HasField("deleted_at")
        plain = await project(alice, "BETA")
        assert not plain.HasField("description")
        assert [p.key for p in await _projects(alice)] == ["ALPHA", "BETA"]
    finally:
        await alice.close()


async def test_create_refuses_bad_and_taken_keys(ws_url: str) -> None:
    alice = await connect(ws_url, "prj-invalid")
    try:
        bad = await error(
            alice, "create_project_request", pb.CreateProjectRequest(key="x", title="T")
        )
        assert (bad.code, bad.field) == ("VALIDATION_ERROR", "key")
        blank = await error(
            alice, "create_project_request", pb.CreateProjectRequest(key="OK", title=" ")
        )
        assert (blank.code, blank.field) == ("VALIDATION_ERROR", "title")
        await project(alice, "TAKEN")
        taken = await error(
            alice, "create_project_request", pb.CreateProjectRequest(key="TAKEN", title="T")
        )
        assert (taken.code, taken.field) == ("CONFLICT", "key")
        assert [p.key for p in await _projects(alice)] == ["TAKEN"]
    finally:
        await alice.close()


async def test_a_resuming_subscriber_gets_the_created_event(ws_url: str) -> None:
    alice = await connect(ws_url, "prj-created-event")
    bob = await connect(ws_url, "prj-created-event", "bob")
    try:
        old = await project(alice, "OLD")
        await add_member(alice, old.id, "bob", "viewer")
        seen = await watch(bob, old.id)
        new = await project(alice, "NEW")
        await add_member(alice, new.id, "bob", "viewer")
        await reply(bob, "subscribe", subscribe([new.id], since_seq=seen), "subscription_confirmed")
        event = await bob.event("project_created")
        assert event.project_created.project == new
        assert event.project_created.user_id == "alice"
    finally:
        await alice.close()
        await bob.close()


async def test_update_reports_changes_to_caller_and_subscribers(ws_url: str) -> None:
    alice = await connect(ws_url, "prj-update")
    bob = await connect(ws_url, "prj-update", "bob")
    try:
        made = await project(alice, "UPD", "Old")
        await add_member(alice, made.id, "bob", "viewer")
        await watch(bob, made.id)
        request = pb.UpdateProjectRequest(
            project_id=made.id,
            expected_version=1,
            title="New",
            status=pb.PROJECT_STATUS_ARCHIVED,
        )
        updated = await reply(alice, "update_project_request", request, "project_updated")
        assert updated.project.title == "New"
        assert updated.project.status == pb.PROJECT_STATUS_ARCHIVED
        assert updated.project.version == 2
        assert updated.user_id == "alice"
        assert [(c.field_name, c.old_value, c.new_value) for c in updated.changes] == [
            ("title", "Old", "New"),
            ("status", "active", "archived"),
        ]
        event = await bob.event("project_updated")
        assert event.project_updated == updated
        # expected_version 0 means "no expectation"; description alone changes.
        described = await reply(
            alice,
            "update_project_request",
            pb.UpdateProjectRequest(project_id=made.id, description="Now described"),
            "project_updated",
        )
        assert described.project.description == "Now described"
        assert [c.field_name for c in described.changes] == ["description"]
        assert not described.changes[0].HasField("old_value")
    finally:
        await alice.close()
        await bob.close()


async def test_update_errors(ws_url: str) -> None:
    alice = await connect(ws_url, "prj-update-errors")
    intruder = await connect(ws_url, "prj-update-intruder", "mallory")
    try:
        made = await project(alice, "ERR")
        await reply(
            alice,
            "update_project_request",
            pb.UpdateProjectRequest(project_id=made.id, expected_version=1, title="Two"),
            "project_updated",
        )
        stale = await error(
            alice,
            "update_project_request",
            pb.UpdateProjectRequest(project_id=made.id, expected_version=1, title="Three"),
        )
        assert (stale.code, stale.field) == ("CONFLICT", "expected_version")
        unspecified = await error(
            alice,
            "update_project_request",
            pb.UpdateProjectRequest(project_id=made.id, status=pb.PROJECT_STATUS_UNSPECIFIED),
        )
        assert (unspecified.code, unspecified.field) == ("VALIDATION_ERROR", "status")
        foreign = await error(
            intruder,
            "update_project_request",
            pb.UpdateProjectRequest(project_id=made.id, title="Mine"),
        )
        assert foreign.code == "NOT_FOUND"
        assert [p.title for p in await _projects(alice)] == ["Two"]
    finally:
        await alice.close()
        await intruder.close()


async def test_delete_checks_the_version_and_tells_subscribers(ws_url: str) -> None:
    alice = await connect(ws_url, "prj-delete")
    bob = await connect(ws_url, "prj-delete", "bob")
    intruder = await connect(ws_url, "prj-delete-intruder", "mallory")
    try:
        made = await project(alice, "DEL")
        kept = await project(alice, "KEEP")
        await add_member(alice, made.id, "bob", "viewer")
        await watch(bob, made.id)
        foreign = await error(
            intruder, "delete_project_request", pb.DeleteProjectRequest(project_id=made.id)
        )
        assert foreign.code == "NOT_FOUND"
        stale = await error(
            alice,
            "delete_project_request",
            pb.DeleteProjectRequest(project_id=made.id, expected_version=7),
        )
        assert (stale.code, stale.field) == ("CONFLICT", "expected_version")
        deleted = await reply(
            alice,
            "delete_project_request",
            pb.DeleteProjectRequest(project_id=made.id, expected_version=1),
            "project_deleted",
        )
        assert (deleted.project_id, deleted.user_id) == (made.id, "alice")
        event = await bob.event("project_deleted")
        assert event.project_deleted == deleted
        assert [p.id for p in await _projects(alice)] == [kept.id]
        again = await error(
            alice, "delete_project_request", pb.DeleteProjectRequest(project_id=made.id)
        )
        assert again.code == "NOT_FOUND"
    finally:
        await alice.close()
        await bob.close()
        await intruder.close()


async def test_a_repeated_message_id_replays_the_first_reply(ws_url: str) -> None:
    alice = await connect(ws_url, "prj-replay")
    bob = await connect(ws_url, "prj-replay", "bob")
    try:
        create = pb.CreateProjectRequest(key="ONCE", title="Once")
        first = await alice.request("create_project_request", create, message_id="c-1")
        again = await alice.request("create_project_request", create, message_id="c-1")
        assert again.SerializeToString() == first.SerializeToString()
        assert [p.key for p in await _projects(alice)] == ["ONCE"]

        made = first.project_created.project
        await add_member(alice, made.id, "bob", "viewer")
        await watch(bob, made.id)
        update = pb.UpdateProjectRequest(project_id=made.id, expected_version=1, title="Twice")
        updated = await alice.request("update_project_request", update, message_id="u-1")
        assert updated.project_updated.project.version == 2
        await bob.event("project_updated")
        replayed = await alice.request("update_project_request", update, message_id="u-1")
        assert replayed.SerializeToString() == updated.SerializeToString()
        assert [p.version for p in await _projects(alice)] == [2]
        assert await bob.silent(1.0)
    finally:
        await alice.close()
        await bob.close()


async def test_keys_name_projects_and_items_in_commands_and_subscriptions(ws_url: str) -> None:
    alice = await connect(ws_url, "prj-keys")
    bob = await connect(ws_url, "prj-keys", "bob")
    try:
        made = await project(alice, "KEYS")
        await add_member(alice, "keys", "bob", "viewer")  # a command takes the key, any case
        confirmed = await reply(bob, "subscribe", subscribe(["Keys"]), "subscription_confirmed")
        assert list(confirmed.project_ids) == [made.id]  # subscribed under the id
        created = await item(alice, "KEYS", "By key")
        assert created.project_id == made.id
        event = await bob.event("work_item_created")
        assert event.work_item_created.work_item == created
        by_item_key = await reply(
            bob,
            "subscribe",
            pb.Subscribe(work_item_ids=["keys-1"]),
            "subscription_confirmed",
        )
        assert list(by_item_key.work_item_ids) == [created.id]
        gone = await reply(
            bob,
            "unsubscribe",
            pb.Unsubscribe(project_ids=["KEYS"], work_item_ids=["KEYS-1"]),
            "subscription_confirmed",
        )
        assert (list(gone.project_ids), list(gone.work_item_ids)) == ([], [])
        unknown = await error(bob, "subscribe", subscribe(["NOPE"]))
        assert (unknown.code, unknown.field) == ("NOT_FOUND", "project_ids")
    finally:
        await alice.close()
        await bob.close()

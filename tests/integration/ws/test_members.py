"""Project membership over the WebSocket: subscriptions, roles on commands, revocation (4003)."""

from __future__ import annotations

from pm.proto import messages_pb2 as pb
from tests.integration.ws.commands import (
    ROLES,
    add_member,
    connect,
    error,
    item,
    project,
    reply,
    watch,
)
from tests.wsclient import drain, subscribe

CLOSE_ACCESS_CHANGED = 4003


async def test_membership_opens_and_closes_a_project_to_a_user(ws_url: str) -> None:
    alice = await connect(ws_url, "mem-life")
    bob = await connect(ws_url, "mem-life", "bob")
    try:
        board = await project(alice, "MEM")
        story = await item(alice, board.id)

        # Not a member: the project, its items and its sprints do not exist for bob.
        for topics, field in (
            (subscribe([board.id]), "project_ids"),
            (subscribe(work_item_ids=[story.id]), "work_item_ids"),
        ):
            hidden = await error(bob, "subscribe", topics)
            assert (hidden.code, hidden.field) == ("NOT_FOUND", field)
        listing = await error(
            bob, "get_work_items_request", pb.GetWorkItemsRequest(project_id=board.id)
        )
        assert listing.code == "NOT_FOUND"
        members = await error(
            bob, "list_members_request", pb.ListMembersRequest(project_id=board.id)
        )
        assert members.code == "NOT_FOUND"

        # The admin adds bob as a viewer over the socket.
        added = await reply(
            alice,
            "set_member_request",
            pb.SetMemberRequest(project_id=board.id, user_id="bob", role=pb.PROJECT_ROLE_VIEWER),
            "member_added",
        )
        assert (added.member.user_id, added.member.role) == ("bob", pb.PROJECT_ROLE_VIEWER)
        assert (added.member.project_id, added.member.created_by, added.user_id) == (
            board.id,
            "alice",
            "alice",
        )

        # Now the same subscription succeeds, and bob hears about changes.
        await watch(bob, board.id)
        listed = await reply(
            bob, "list_members_request", pb.ListMembersRequest(project_id=board.id), "members_list"
        )
        assert {(m.user_id, m.role) for m in listed.members} == {
            ("alice", pb.PROJECT_ROLE_ADMIN),
            ("bob", pb.PROJECT_ROLE_VIEWER),
        }
        second = await item(alice, board.id, "Second")
        event = await bob.event("work_item_created")
        assert event.work_item_created.work_item.id == second.id

        # A viewer may not change work.
        refused = await error(
            bob,
            "create_work_item_request",
            pb.CreateWorkItemRequest(
                item_type=pb.WORK_ITEM_TYPE_STORY, title="Bob's", project_id=board.id
            ),
        )
        assert refused.code == "AUTHORIZATION_FAILED"
        refused = await error(
            bob,
            "update_project_request",
            pb.UpdateProjectRequest(project_id=board.id, title="Bob's"),
        )
        assert refused.code == "AUTHORIZATION_FAILED"

        # A role change is member_updated, for the caller and the subscribers.
        updated = await reply(
            alice,
            "set_member_request",
            pb.SetMemberRequest(project_id=board.id, user_id="bob", role=pb.PROJECT_ROLE_EDITOR),
            "member_updated",
        )
        assert updated.member.role == pb.PROJECT_ROLE_EDITOR
        assert [(c.field_name, c.old_value, c.new_value) for c in updated.changes] == [
            ("role", "viewer", "editor")
        ]
        assert (await bob.event("member_updated")).member_updated == updated
        await item(bob, board.id, "Bob's")  # an editor may

        # Removal: the caller gets member_removed, bob's subscribed connection gets the event
        # and is then closed with 4003.
        removed = await reply(
            alice,
            "remove_member_request",
            pb.RemoveMemberRequest(project_id=board.id, user_id="bob"),
            "member_removed",
        )
        assert (removed.project_id, removed.member_user_id, removed.user_id) == (
            board.id,
            "bob",
            "alice",
        )
        frames, code = await drain(bob)
        assert code == CLOSE_ACCESS_CHANGED
        kinds = [f.WhichOneof("payload") for f in frames if f.seq]
        assert kinds[-1] == "member_removed"
        assert frames[-1].member_removed == removed
    finally:
        await alice.close()
        await bob.close()

    # Reconnecting does not bring the project back.
    again = await connect(ws_url, "mem-life", "bob")
    try:
        hidden = await error(again, "subscribe", subscribe([board.id]))
        assert (hidden.code, hidden.field) == ("NOT_FOUND", "project_ids")
        hidden = await error(again, "subscribe", subscribe(work_item_ids=[story.id]))
        assert (hidden.code, hidden.field) == ("NOT_FOUND", "work_item_ids")
    finally:
        await again.close()


async def test_a_sprint_of_a_foreign_project_cannot_be_subscribed(ws_url: str) -> None:
    alice = await connect(ws_url, "mem-sprint")
    carol = await connect(ws_url, "mem-sprint", "carol")
    try:
        board = await project(alice, "MSP")
        created = await reply(
            alice,
            "create_sprint_request",
            pb.CreateSprintRequest(project_id=board.id, name="S1", start_date=0, end_date=10),
            "sprint_created",
        )
        hidden = await error(carol, "subscribe", subscribe(sprint_ids=[created.sprint.id]))
        assert (hidden.code, hidden.field) == ("NOT_FOUND", "sprint_ids")
        await add_member(alice, board.id, "carol", "viewer")
        confirmed = await reply(
            carol, "subscribe", subscribe(sprint_ids=[created.sprint.id]), "subscription_confirmed"
        )
        assert list(confirmed.sprint_ids) == [created.sprint.id]
    finally:
        await alice.close()
        await carol.close()


async def test_only_admins_manage_members_and_the_last_admin_stays(ws_url: str) -> None:
    alice = await connect(ws_url, "mem-admin")
    bob = await connect(ws_url, "mem-admin", "bob")
    try:
        board = await project(alice, "MAD")
        await add_member(alice, board.id, "bob", "editor")
        for case, payload in (
            (
                "set_member_request",
                pb.SetMemberRequest(project_id=board.id, user_id="carol", role=ROLES["viewer"]),
            ),
            ("remove_member_request", pb.RemoveMemberRequest(project_id=board.id, user_id="alice")),
        ):
            refused = await error(bob, case, payload)
            assert refused.code == "AUTHORIZATION_FAILED", case
        last = await error(
            alice,
            "set_member_request",
            pb.SetMemberRequest(project_id=board.id, user_id="alice", role=ROLES["viewer"]),
        )
        assert (last.code, last.field) == ("VALIDATION_ERROR", "role")
        leaving = await error(
            alice,
            "remove_member_request",
            pb.RemoveMemberRequest(project_id=board.id, user_id="alice"),
        )
        assert (leaving.code, leaving.field) == ("VALIDATION_ERROR", "user_id")
        no_role = await error(
            alice,
            "set_member_request",
            pb.SetMemberRequest(project_id=board.id, user_id="carol"),
        )
        assert (no_role.code, no_role.field) == ("VALIDATION_ERROR", "role")
        # bob may leave on his own.
        await reply(
            bob,
            "remove_member_request",
            pb.RemoveMemberRequest(project_id=board.id, user_id="bob"),
            "member_removed",
        )
        listed = await reply(
            alice,
            "list_members_request",
            pb.ListMembersRequest(project_id=board.id),
            "members_list",
        )
        assert [(m.user_id, m.role) for m in listed.members] == [("alice", pb.PROJECT_ROLE_ADMIN)]
    finally:
        await alice.close()
        await bob.close()

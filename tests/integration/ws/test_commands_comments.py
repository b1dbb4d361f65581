"""Comment commands over the WebSocket: replies, errors, events and idempotent replays."""

from __future__ import annotations

from pm.proto import messages_pb2 as pb
from tests.integration.ws.commands import add_member, connect, error, item, project, reply, watch
from tests.wsclient import WsClient


async def _comments(client: WsClient, work_item_id: str) -> list[pb.Comment]:
    found = await reply(
        client,
        "get_comments_request",
        pb.GetCommentsRequest(work_item_id=work_item_id),
        "comments_list",
    )
    return list(found.comments)


async def _comment(client: WsClient, work_item_id: str, content: str) -> pb.Comment:
    created = await reply(
        client,
        "create_comment_request",
        pb.CreateCommentRequest(work_item_id=work_item_id, content=content),
        "comment_created",
    )
    result: pb.Comment = created.comment
    return result


async def test_create_replies_lists_and_tells_subscribers(ws_url: str) -> None:
    alice = await connect(ws_url, "com-create")
    bob = await connect(ws_url, "com-create", "bob")
    try:
        board = await project(alice, "COM")
        story = await item(alice, board.id)
        await add_member(alice, board.id, "bob", "editor")
        await watch(bob, board.id)
        created = await reply(
            alice,
            "create_comment_request",
            pb.CreateCommentRequest(work_item_id=story.id, content="**First**"),
            "comment_created",
            message_id="say-1",
        )
        comment = created.comment
        assert created.user_id == "alice"
        assert (comment.work_item_id, comment.content) == (story.id, "**First**")
        assert comment.created_by == comment.updated_by == "alice"
        assert (await bob.event("comment_created")).comment_created == created
        second = await _comment(bob, story.id, "Second")
        assert [c.id for c in await _comments(alice, story.id)] == [comment.id, second.id]
    finally:
        await alice.close()
        await bob.close()


async def test_create_errors(ws_url: str) -> None:
    alice = await connect(ws_url, "com-create-errors")
    intruder = await connect(ws_url, "com-create-intruder", "mallory")
    try:
        story = await item(alice, (await project(alice, "COE")).id)
        blank = await error(
            alice,
            "create_comment_request",
            pb.CreateCommentRequest(work_item_id=story.id, content="  "),
        )
        assert (blank.code, blank.field) == ("VALIDATION_ERROR", "content")
        foreign = await error(
            intruder,
            "create_comment_request",
            pb.CreateCommentRequest(work_item_id=story.id, content="hi"),
        )
        assert foreign.code == "NOT_FOUND"
        listing = await error(
            intruder, "get_comments_request", pb.GetCommentsRequest(work_item_id=story.id)
        )
        assert listing.code == "NOT_FOUND"
        assert await _comments(alice, story.id) == []
    finally:
        await alice.close()
        await intruder.close()


async def test_only_the_author_edits_and_subscribers_hear_of_it(ws_url: str) -> None:
    alice = await connect(ws_url, "com-update")
    bob = await connect(ws_url, "com-update", "bob")
    intruder = await connect(ws_url, "com-update-intruder", "alice")
    try:
        board = await project(alice, "COU")
        story = await item(alice, board.id)
        comment = await _comment(alice, story.id, "Draft")
        await add_member(alice, board.id, "bob", "editor")
        await watch(bob, board.id)
        edit = pb.UpdateCommentRequest(comment_id=comment.id, content="Final")
        not_author = await error(bob, "update_comment_request", edit)
        assert not_author.code == "AUTHORIZATION_FAILED"
        foreign = await error(intruder, "update_comment_request", edit)
        assert foreign.code == "NOT_FOUND"
        updated = await reply(alice, "update_comment_request", edit, "comment_updated")
        assert (updated.comment.id, updated.comment.content) == (comment.id, "Final")
        assert updated.user_id == "alice"
        assert (await bob.event("comment_updated")).comment_updated == updated
        blank = await error(
            alice,
            "update_comment_request",
            pb.UpdateCommentRequest(comment_id=comment.id, content=""),
        )
        assert (blank.code, blank.field) == ("VALIDATION_ERROR", "content")
        assert [c.content for c in await _comments(alice, story.id)] == ["Final"]
    finally:
        await alice.close()
        await bob.close()
        await intruder.close()


async def test_only_the_author_deletes_and_subscribers_hear_of_it(ws_url: str) -> None:
    alice = await connect(ws_url, "com-delete")
    bob = await connect(ws_url, "com-delete", "bob")
    try:
        board = await project(alice, "COD")
        story = await item(alice, board.id)
        comment = await _comment(alice, story.id, "Bye")
        await add_member(alice, board.id, "bob", "editor")
        await watch(bob, board.id)
        drop = pb.DeleteCommentRequest(comment_id=comment.id)
        not_author = await error(bob, "delete_comment_request", drop)
        assert not_author.code == "AUTHORIZATION_FAILED"
        deleted = await reply(alice, "delete_comment_request", drop, "comment_deleted")
        assert (deleted.comment_id, deleted.user_id) == (comment.id, "alice")
        assert (await bob.event("comment_deleted")).comment_deleted == deleted
        assert await _comments(alice, story.id) == []
        again = await error(alice, "delete_comment_request", drop)
        assert again.code == "NOT_FOUND"
    finally:
        await alice.close()
        await bob.close()


async def test_a_repeated_message_id_replays_the_first_reply(ws_url: str) -> None:
    alice = await connect(ws_url, "com-replay")
    bob = await connect(ws_url, "com-replay", "bob")
    try:
        board = await project(alice, "COR")
        story = await item(alice, board.id)
        await add_member(alice, board.id, "bob", "editor")
        await watch(bob, board.id)
        say = pb.CreateCommentRequest(work_item_id=story.id, content="Once")
        first = await alice.request("create_comment_request", say, message_id="say")
        await bob.event("comment_created")
        again = await alice.request("create_comment_request", say, message_id="say")
        assert again.SerializeToString() == first.SerializeToString()
        assert [c.content for c in await _comments(alice, story.id)] == ["Once"]
        assert await bob.silent(1.0)
    finally:
        await alice.close()
        await bob.close()

"""Dependency commands over the WebSocket: links, cycles, listings, events and replays."""

from __future__ import annotations

from pm.proto import messages_pb2 as pb
from tests.integration.ws.commands import add_member, connect, error, item, project, reply, watch
from tests.wsclient import WsClient

BLOCKS = pb.DEPENDENCY_TYPE_BLOCKS
RELATES_TO = pb.DEPENDENCY_TYPE_RELATES_TO


def _link(
    blocking: str, blocked: str, kind: pb.DependencyType.ValueType = BLOCKS
) -> pb.CreateDependencyRequest:
    return pb.CreateDependencyRequest(
        blocking_item_id=blocking, blocked_item_id=blocked, dependency_type=kind
    )


async def _dependencies(client: WsClient, work_item_id: str) -> pb.DependenciesList:
    found: pb.DependenciesList = await reply(
        client,
        "get_dependencies_request",
        pb.GetDependenciesRequest(work_item_id=work_item_id),
        "dependencies_list",
    )
    return found


def _ids(found: pb.DependenciesList) -> tuple[list[str], list[str], list[str]]:
    return (
        [d.id for d in found.blocking],
        [d.id for d in found.blocked],
        [d.id for d in found.related],
    )


async def test_blocks_and_relates_to_are_listed_by_role(ws_url: str) -> None:
    alice = await connect(ws_url, "dep-create")
    bob = await connect(ws_url, "dep-create", "bob")
    try:
        board = await project(alice, "DEP")
        first, second, third = [await item(alice, board.id, t) for t in ("A", "B", "C")]
        await add_member(alice, board.id, "bob", "viewer")
        await watch(bob, board.id)
        created = await reply(
            alice,
            "create_dependency_request",
            _link(first.id, second.id),
            "dependency_created",
            message_id="link-1",
        )
        blocks = created.dependency
        assert (blocks.blocking_item_id, blocks.blocked_item_id) == (first.id, second.id)
        assert (blocks.dependency_type, blocks.created_by) == (BLOCKS, "alice")
        assert created.user_id == "alice"
        assert (await bob.event("dependency_created")).dependency_created == created

        related = await reply(
            alice,
            "create_dependency_request",
            _link(third.id, second.id, RELATES_TO),
            "dependency_created",
        )
        relates = related.dependency
        assert relates.dependency_type == RELATES_TO
        assert _ids(await _dependencies(alice, first.id)) == ([], [blocks.id], [])
        assert _ids(await _dependencies(alice, second.id)) == ([blocks.id], [], [relates.id])
        assert _ids(await _dependencies(alice, third.id)) == ([], [], [relates.id])
    finally:
        await alice.close()
        await bob.close()


async def test_cycles_self_links_and_duplicates_are_refused(ws_url: str) -> None:
    alice = await connect(ws_url, "dep-errors")
    intruder = await connect(ws_url, "dep-errors-intruder", "mallory")
    try:
        board = await project(alice, "DEE")
        first, second, third = [await item(alice, board.id, t) for t in ("A", "B", "C")]
        links = [
            await reply(
                alice,
                "create_dependency_request",
                _link(blocking.id, blocked.id),
                "dependency_created",
            )
            for blocking, blocked in ((first, second), (second, third))
        ]
        cycle = await error(alice, "create_dependency_request", _link(third.id, first.id))
        assert (cycle.code, cycle.field) == ("VALIDATION_ERROR", "blocked_item_id")
        itself = await error(alice, "create_dependency_request", _link(first.id, first.id))
        assert (itself.code, itself.field) == ("VALIDATION_ERROR", "blocked_item_id")
        twice = await error(
            alice, "create_dependency_request", _link(second.id, first.id, RELATES_TO)
        )
        assert (twice.code, twice.field) == ("CONFLICT", "blocked_item_id")
        untyped = await error(
            alice,
            "create_dependency_request",
            _link(first.id, third.id, pb.DEPENDENCY_TYPE_UNSPECIFIED),
        )
        assert (untyped.code, untyped.field) == ("VALIDATION_ERROR", "dependency_type")
        foreign = await error(intruder, "create_dependency_request", _link(first.id, third.id))
        assert (foreign.code, foreign.field) == ("VALIDATION_ERROR", "blocking_item_id")
        listing = await error(
            intruder, "get_dependencies_request", pb.GetDependenciesRequest(work_item_id=first.id)
        )
        assert listing.code == "NOT_FOUND"
        first_to_second = links[0].dependency.id
        assert _ids(await _dependencies(alice, first.id)) == ([], [first_to_second], [])
    finally:
        await alice.close()
        await intruder.close()


async def test_delete_names_both_items_and_tells_subscribers(ws_url: str) -> None:
    alice = await connect(ws_url, "dep-delete")
    bob = await connect(ws_url, "dep-delete", "bob")
    intruder = await connect(ws_url, "dep-delete-intruder", "alice")
    try:
        board = await project(alice, "DED")
        first, second = await item(alice, board.id, "A"), await item(alice, board.id, "B")
        created = await reply(
            alice, "create_dependency_request", _link(first.id, second.id), "dependency_created"
        )
        await add_member(alice, board.id, "bob", "viewer")
        await watch(bob, board.id)
        drop = pb.DeleteDependencyRequest(dependency_id=created.dependency.id)
        assert (await error(intruder, "delete_dependency_request", drop)).code == "NOT_FOUND"
        deleted = await reply(alice, "delete_dependency_request", drop, "dependency_deleted")
        assert deleted.dependency_id == created.dependency.id
        assert (deleted.blocking_item_id, deleted.blocked_item_id) == (first.id, second.id)
        assert deleted.user_id == "alice"
        assert (await bob.event("dependency_deleted")).dependency_deleted == deleted
        assert _ids(await _dependencies(alice, first.id)) == ([], [], [])
        assert (await error(alice, "delete_dependency_request", drop)).code == "NOT_FOUND"
    finally:
        await alice.close()
        await bob.close()
        await intruder.close()


async def test_a_repeated_message_id_replays_the_first_reply(ws_url: str) -> None:
    alice = await connect(ws_url, "dep-replay")
    bob = await connect(ws_url, "dep-replay", "bob")
    try:
        board = await project(alice, "DER")
        first, second = await item(alice, board.id, "A"), await item(alice, board.id, "B")
        await add_member(alice, board.id, "bob", "viewer")
        await watch(bob, board.id)
        link = _link(first.id, second.id)
        created = await alice.request("create_dependency_request", link, message_id="link")
        await bob.event("dependency_created")
        again = await alice.request("create_dependency_request", link, message_id="link")
        assert again.SerializeToString() == created.SerializeToString()
        assert again.WhichOneof("payload") == "dependency_created"
        assert _ids(await _dependencies(alice, first.id)) == (
            [],
            [created.dependency_created.dependency.id],
            [],
        )
        assert await bob.silent(1.0)
    finally:
        await alice.close()
        await bob.close()

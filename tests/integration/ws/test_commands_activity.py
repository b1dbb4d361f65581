"""Activity log and LLM context requests over the WebSocket."""

from __future__ import annotations

from pm.proto import messages_pb2 as pb
from tests.integration.ws.commands import add_member, connect, error, item, project, reply
from tests.wsclient import WsClient


async def _activity(
    client: WsClient, entity_type: str, entity_id: str, limit: int = 0, offset: int = 0
) -> pb.ActivityLogList:
    request = pb.GetActivityLogRequest(
        entity_type=entity_type, entity_id=entity_id, limit=limit, offset=offset
    )
    found: pb.ActivityLogList = await reply(
        client, "get_activity_log_request", request, "activity_log_list"
    )
    return found


async def _context(
    client: WsClient,
    category: str | None = None,
    context_type: str | None = None,
    min_priority: int | None = None,
) -> list[pb.LlmContextEntry]:
    request = pb.GetLlmContextRequest(
        category=category, context_type=context_type, min_priority=min_priority
    )
    found = await reply(client, "get_llm_context_request", request, "llm_context_list")
    return list(found.entries)


async def test_an_entity_history_is_newest_first_with_field_changes(ws_url: str) -> None:
    alice = await connect(ws_url, "act-history")
    bob = await connect(ws_url, "act-history", "bob")
    try:
        board = await project(alice, "ACT", "Old")
        await add_member(alice, board.id, "bob", "admin")  # updating a project needs admin
        await reply(
            bob,
            "update_project_request",
            pb.UpdateProjectRequest(project_id=board.id, title="New", description="Said"),
            "project_updated",
        )
        history = await _activity(alice, "project", board.id)
        assert (history.total_count, history.has_more) == (4, False)
        assert [
            (e.action, e.field_name, e.old_value, e.new_value, e.user_id) for e in history.entries
        ] == [
            ("updated", "description", "", "Said", "bob"),
            ("updated", "title", "Old", "New", "bob"),
            ("member_added", "role", "", "admin", "alice"),
            ("created", "", "", "", "alice"),
        ]
        described, _, added, created = history.entries
        assert added.comment == "bob"  # the member
        assert not described.HasField("old_value")
        assert not created.HasField("field_name")
        assert all((e.entity_type, e.entity_id) == ("project", board.id) for e in history.entries)
        assert created.timestamp > 0

        story = await item(alice, board.id)
        story_history = await _activity(alice, "work_item", story.id)
        assert [e.action for e in story_history.entries] == ["created"]
    finally:
        await alice.close()
        await bob.close()


async def test_pages_by_offset_with_default_and_maximum_limits(ws_url: str) -> None:
    alice = await connect(ws_url, "act-paging")
    try:
        board = await project(alice, "ACP")
        for n in range(51):  # two entries per update: 103 entries with the creation
            await reply(
                alice,
                "update_project_request",
                pb.UpdateProjectRequest(project_id=board.id, title=f"T{n}", description=f"D{n}"),
                "project_updated",
            )
        default = await _activity(alice, "project", board.id)
        assert (len(default.entries), default.total_count, default.has_more) == (50, 103, True)
        capped = await _activity(alice, "project", board.id, limit=1000)
        assert (len(capped.entries), capped.has_more) == (100, True)
        tail = await _activity(alice, "project", board.id, limit=100, offset=100)
        assert (len(tail.entries), tail.total_count, tail.has_more) == (3, 103, False)
        assert tail.entries[-1].action == "created"
        window = await _activity(alice, "project", board.id, limit=2, offset=50)
        assert [e.id for e in window.entries] == [e.id for e in capped.entries[50:52]]
        beyond = await _activity(alice, "project", board.id, offset=500)
        assert (list(beyond.entries), beyond.total_count, beyond.has_more) == ([], 103, False)
    finally:
        await alice.close()


async def test_bad_requests_and_other_tenants(ws_url: str) -> None:
    alice = await connect(ws_url, "act-errors")
    intruder = await connect(ws_url, "act-errors-intruder", "mallory")
    try:
        board = await project(alice, "ACE")
        for entity_type in ("projects", "", "PROJECT"):
            refused = await error(
                alice,
                "get_activity_log_request",
                pb.GetActivityLogRequest(entity_type=entity_type, entity_id=board.id),
            )
            assert (refused.code, refused.field) == ("VALIDATION_ERROR", "entity_type")
        negative = await error(
            alice,
            "get_activity_log_request",
            pb.GetActivityLogRequest(entity_type="project", entity_id=board.id, limit=-1),
        )
        assert (negative.code, negative.field) == ("VALIDATION_ERROR", "limit")
        nothing = await _activity(intruder, "project", board.id)
        assert (list(nothing.entries), nothing.total_count, nothing.has_more) == ([], 0, False)
    finally:
        await alice.close()
        await intruder.close()


async def test_llm_context_filters(ws_url: str) -> None:
    alice = await connect(ws_url, "act-llm")
    try:
        everything = await _context(alice)
        assert everything
        priorities = [e.priority for e in everything]
        assert priorities == sorted(priorities, reverse=True)
        assert {"schema", "query_pattern", "business_rule"} <= {e.context_type for e in everything}

        sprints = await _context(alice, category="sprints")
        assert sprints
        assert {e.category for e in sprints} == {"sprints"}
        assert {e.id for e in sprints} < {e.id for e in everything}
        patterns = await _context(alice, context_type="query_pattern")
        assert {e.context_type for e in patterns} == {"query_pattern"}
        assert all(e.HasField("example_sql") for e in patterns)
        both = await _context(alice, category="sprints", context_type="schema")
        assert [e.title for e in both] == ["Table pm_sprints"]

        threshold = sorted(set(priorities))[len(set(priorities)) // 2]
        important = await _context(alice, min_priority=threshold)
        assert {e.id for e in important} == {e.id for e in everything if e.priority >= threshold}
        assert len(important) < len(everything)
        assert await _context(alice, category="no-such-category") == []
    finally:
        await alice.close()

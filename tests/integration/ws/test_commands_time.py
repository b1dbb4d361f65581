"""Time tracking commands over the WebSocket: timers, entries, paging, events and replays."""

from __future__ import annotations

from pm.proto import messages_pb2 as pb
from tests.integration.ws.commands import add_member, connect, error, item, project, reply, watch
from tests.wsclient import WsClient

HOUR = 3600


async def _entries(
    client: WsClient, work_item_id: str, limit: int | None = None, offset: int | None = None
) -> pb.TimeEntriesList:
    request = pb.GetTimeEntriesRequest(work_item_id=work_item_id, limit=limit, offset=offset)
    found: pb.TimeEntriesList = await reply(
        client, "get_time_entries_request", request, "time_entries_list"
    )
    return found


async def _running(client: WsClient) -> pb.RunningTimerResponse:
    found: pb.RunningTimerResponse = await reply(
        client, "get_running_timer_request", pb.GetRunningTimerRequest(), "running_timer_response"
    )
    return found


async def _log(client: WsClient, work_item_id: str, start: int, end: int) -> pb.TimeEntry:
    created = await reply(
        client,
        "create_time_entry_request",
        pb.CreateTimeEntryRequest(work_item_id=work_item_id, started_at=start, ended_at=end),
        "time_entry_created",
    )
    result: pb.TimeEntry = created.time_entry
    return result


async def test_starting_a_timer_stops_the_running_one(ws_url: str) -> None:
    alice = await connect(ws_url, "tim-start")
    bob = await connect(ws_url, "tim-start", "bob")
    try:
        board = await project(alice, "TIM")
        first_item, second_item = await item(alice, board.id), await item(alice, board.id)
        await add_member(alice, board.id, "bob", "editor")
        await watch(bob, board.id)
        assert not (await _running(alice)).HasField("time_entry")
        started = await reply(
            alice,
            "start_timer_request",
            pb.StartTimerRequest(work_item_id=first_item.id, description="Coding"),
            "timer_started",
            message_id="go-1",
        )
        entry = started.time_entry
        assert (entry.work_item_id, entry.user_id, entry.description) == (
            first_item.id,
            "alice",
            "Coding",
        )
        assert not entry.HasField("ended_at")
        assert not started.HasField("stopped_entry")
        assert started.user_id == "alice"
        assert (await bob.event("timer_started")).timer_started == started
        assert (await _running(alice)).time_entry == entry

        switched = await reply(
            alice,
            "start_timer_request",
            pb.StartTimerRequest(work_item_id=second_item.id),
            "timer_started",
        )
        assert switched.stopped_entry.id == entry.id
        assert switched.stopped_entry.HasField("ended_at")
        assert switched.stopped_entry.HasField("duration_seconds")
        stopped_event, started_event = await bob.events(2)
        assert stopped_event.timer_stopped.time_entry == switched.stopped_entry
        assert started_event.timer_started == switched
        assert (await _running(alice)).time_entry.id == switched.time_entry.id
        assert not (await _running(bob)).HasField("time_entry")
    finally:
        await alice.close()
        await bob.close()


async def test_stopping_a_timer(ws_url: str) -> None:
    alice = await connect(ws_url, "tim-stop")
    bob = await connect(ws_url, "tim-stop", "bob")
    intruder = await connect(ws_url, "tim-stop-intruder", "alice")
    try:
        board = await project(alice, "TIS")
        story = await item(alice, board.id)
        started = await reply(
            alice,
            "start_timer_request",
            pb.StartTimerRequest(work_item_id=story.id),
            "timer_started",
        )
        await add_member(alice, board.id, "bob", "editor")
        await watch(bob, board.id)
        stop = pb.StopTimerRequest(time_entry_id=started.time_entry.id)
        assert (await error(bob, "stop_timer_request", stop)).code == "AUTHORIZATION_FAILED"
        assert (await error(intruder, "stop_timer_request", stop)).code == "NOT_FOUND"
        stopped = await reply(alice, "stop_timer_request", stop, "timer_stopped")
        assert stopped.time_entry.id == started.time_entry.id
        assert stopped.time_entry.HasField("ended_at")
        assert stopped.time_entry.duration_seconds == (
            stopped.time_entry.ended_at - stopped.time_entry.started_at
        )
        assert stopped.user_id == "alice"
        assert (await bob.event("timer_stopped")).timer_stopped == stopped
        assert not (await _running(alice)).HasField("time_entry")
        not_running = await error(alice, "stop_timer_request", stop)
        assert (not_running.code, not_running.field) == ("VALIDATION_ERROR", "time_entry_id")
    finally:
        await alice.close()
        await bob.close()
        await intruder.close()


async def test_a_manual_entry_gets_its_duration(ws_url: str) -> None:
    alice = await connect(ws_url, "tim-manual")
    bob = await connect(ws_url, "tim-manual", "bob")
    try:
        board = await project(alice, "TIM")
        story = await item(alice, board.id)
        await add_member(alice, board.id, "bob", "editor")
        await watch(bob, board.id)
        created = await reply(
            alice,
            "create_time_entry_request",
            pb.CreateTimeEntryRequest(
                work_item_id=story.id, started_at=HOUR, ended_at=3 * HOUR, description="Review"
            ),
            "time_entry_created",
        )
        entry = created.time_entry
        assert (entry.work_item_id, entry.user_id, created.user_id) == (story.id, "alice", "alice")
        assert (entry.ended_at, entry.duration_seconds, entry.description) == (
            3 * HOUR,
            2 * HOUR,
            "Review",
        )
        assert (await bob.event("time_entry_created")).time_entry_created == created
        backwards = await error(
            alice,
            "create_time_entry_request",
            pb.CreateTimeEntryRequest(work_item_id=story.id, started_at=HOUR, ended_at=0),
        )
        assert (backwards.code, backwards.field) == ("VALIDATION_ERROR", "ended_at")
        assert [e.id for e in (await _entries(alice, story.id)).time_entries] == [entry.id]
    finally:
        await alice.close()
        await bob.close()


async def test_only_the_owner_edits_or_deletes_an_entry(ws_url: str) -> None:
    alice = await connect(ws_url, "tim-edit")
    bob = await connect(ws_url, "tim-edit", "bob")
    try:
        board = await project(alice, "TIE")
        story = await item(alice, board.id)
        entry = await _log(alice, story.id, HOUR, 3 * HOUR)
        await add_member(alice, board.id, "bob", "editor")
        await watch(bob, board.id)
        edit = pb.UpdateTimeEntryRequest(time_entry_id=entry.id, ended_at=4 * HOUR)
        assert (await error(bob, "update_time_entry_request", edit)).code == "AUTHORIZATION_FAILED"
        updated = await reply(alice, "update_time_entry_request", edit, "time_entry_updated")
        assert (updated.time_entry.ended_at, updated.time_entry.duration_seconds) == (
            4 * HOUR,
            3 * HOUR,
        )
        assert updated.user_id == "alice"
        assert (await bob.event("time_entry_updated")).time_entry_updated == updated

        drop = pb.DeleteTimeEntryRequest(time_entry_id=entry.id)
        assert (await error(bob, "delete_time_entry_request", drop)).code == "AUTHORIZATION_FAILED"
        deleted = await reply(alice, "delete_time_entry_request", drop, "time_entry_deleted")
        assert (deleted.time_entry_id, deleted.work_item_id, deleted.user_id) == (
            entry.id,
            story.id,
            "alice",
        )
        assert (await bob.event("time_entry_deleted")).time_entry_deleted == deleted
        assert (await _entries(alice, story.id)).total_count == 0
        assert (await error(alice, "delete_time_entry_request", drop)).code == "NOT_FOUND"
    finally:
        await alice.close()
        await bob.close()


async def test_entries_are_listed_newest_first_by_page(ws_url: str) -> None:
    alice = await connect(ws_url, "tim-list")
    intruder = await connect(ws_url, "tim-list-intruder", "mallory")
    try:
        story = await item(alice, (await project(alice, "TIL")).id)
        logged = [await _log(alice, story.id, n * HOUR, n * HOUR + 60) for n in range(3)]
        newest_first = [e.id for e in reversed(logged)]

        everything = await _entries(alice, story.id)
        assert ([e.id for e in everything.time_entries], everything.total_count) == (
            newest_first,
            3,
        )
        assert [e.id for e in (await _entries(alice, story.id, limit=0)).time_entries] == (
            newest_first
        )
        first = await _entries(alice, story.id, limit=2)
        rest = await _entries(alice, story.id, limit=2, offset=2)
        assert [e.id for e in first.time_entries] == newest_first[:2]
        assert [e.id for e in rest.time_entries] == newest_first[2:]
        assert first.total_count == rest.total_count == 3
        # A limit over the maximum is capped, not refused.
        capped = await _entries(alice, story.id, limit=10_000)
        assert (len(capped.time_entries), capped.total_count) == (3, 3)

        for field, bad in (("limit", {"limit": -1}), ("offset", {"offset": -5})):
            refused = await error(
                alice,
                "get_time_entries_request",
                pb.GetTimeEntriesRequest(work_item_id=story.id, **bad),
            )
            assert (refused.code, refused.field) == ("VALIDATION_ERROR", field)
        foreign = await error(
            intruder, "get_time_entries_request", pb.GetTimeEntriesRequest(work_item_id=story.id)
        )
        assert foreign.code == "NOT_FOUND"
    finally:
        await alice.close()
        await intruder.close()


async def test_a_repeated_message_id_replays_the_first_reply(ws_url: str) -> None:
    alice = await connect(ws_url, "tim-replay")
    bob = await connect(ws_url, "tim-replay", "bob")
    try:
        board = await project(alice, "TIR")
        story = await item(alice, board.id)
        await add_member(alice, board.id, "bob", "editor")
        await watch(bob, board.id)
        start = pb.StartTimerRequest(work_item_id=story.id)
        first = await alice.request("start_timer_request", start, message_id="go")
        await bob.event("timer_started")
        again = await alice.request("start_timer_request", start, message_id="go")
        assert again.SerializeToString() == first.SerializeToString()
        assert not again.timer_started.HasField("stopped_entry")
        listed = await _entries(alice, story.id)
        assert [e.id for e in listed.time_entries] == [first.timer_started.time_entry.id]
        assert (await _running(alice)).time_entry == first.timer_started.time_entry
        assert await bob.silent(1.0)
    finally:
        await alice.close()
        await bob.close()

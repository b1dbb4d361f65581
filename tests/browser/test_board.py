"""The board in a real browser: sign in, plan, drag, live updates, conflicts, safety."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, WebSocketRoute, expect

from tests.browser.conftest import Api, sign_in_url
from tests.live import LiveServer

Rest = Callable[[LiveServer, str], Api]
_keys = (f"B{n}" for n in itertools.count(1))


def project_with_items(api: Api, titles: list[str], *members: str) -> tuple[str, str]:
    """A new project (its id and key) holding one story per title, and editors `members`."""
    key = next(_keys)
    project = api.post("/projects", {"key": key, "title": f"Project {key}"})
    for title in titles:
        api.post(f"/projects/{project['id']}/work-items", {"item_type": "story", "title": title})
    for member in members:
        api.put(f"/projects/{project['id']}/members/{member}", {"role": "editor"})
    return project["id"], key


def open_board(page: Page, server: LiveServer, user: str, project_id: str) -> None:
    page.goto(sign_in_url(server, user))
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(user)
    page.goto(f"{server.url}/#/p/{project_id}/board")
    expect(page.get_by_test_id("lane-backlog")).to_be_visible()
    expect(page.get_by_test_id("offline-banner")).to_be_hidden()  # live


def card_in(page: Page, lane: str, key: str) -> Any:
    return page.get_by_test_id(f"lane-{lane}").get_by_test_id(f"card-{key}")


def test_sign_in_create_a_project_and_items(page: Page, server: LiveServer) -> None:
    page.goto(sign_in_url(server, "alice"))
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("alice")
    assert "token=" not in page.url  # the fragment is gone from the address bar
    page.get_by_test_id("project-key").fill("SIGN")
    page.get_by_test_id("project-title").fill("Signed in")
    page.get_by_test_id("create-project").click()
    for lane in ("backlog", "in_progress", "in_review", "done"):
        expect(page.get_by_test_id(f"lane-{lane}")).to_be_visible()
    for number, title in enumerate(("Write the plan", "Ship it"), start=1):
        page.get_by_test_id("new-item-title").fill(title)
        page.get_by_test_id("create-item").click()
        expect(card_in(page, "backlog", f"SIGN-{number}")).to_contain_text(title)
    page.reload()  # the token stays for the tab's session
    expect(card_in(page, "backlog", "SIGN-2")).to_be_visible()
    # A bad item is refused with the server's reason, and nothing is added.
    page.get_by_test_id("new-item-title").fill(" ")
    page.get_by_test_id("create-item").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("title")
    expect(page.get_by_test_id("board-count")).to_have_text("2 of 2 items")

    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("token-input")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    page.get_by_test_id("token-input").fill("not a token")
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_role("alert")).to_contain_text("does not look like a token")
    page.get_by_test_id("token-input").fill(sign_in_url(server, "alice").split("#token=")[1])
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("project-SIGN")).to_be_visible()


def test_a_drag_in_one_browser_moves_the_card_in_another(
    new_context: Any, server: LiveServer, rest: Rest
) -> None:
    alice = rest(server, "alice")
    project_id, key = project_with_items(alice, ["Drag me"], "bob")
    first: Page = new_context().new_page()
    second: Page = new_context().new_page()  # its own sessionStorage: another person
    open_board(first, server, "alice", project_id)
    open_board(second, server, "bob", project_id)

    first.get_by_test_id(f"card-{key}-1").drag_to(first.get_by_test_id("lane-in_progress"))
    expect(card_in(first, "in_progress", f"{key}-1")).to_be_visible()
    expect(card_in(second, "in_progress", f"{key}-1")).to_be_visible(timeout=2000)

    # The keyboard way: Shift+→ moves the focused card one column right, focus stays on it.
    card = second.get_by_test_id(f"card-{key}-1")
    card.focus()
    second.keyboard.press("Shift+ArrowRight")
    expect(card_in(second, "in_review", f"{key}-1")).to_be_focused()
    expect(card_in(first, "in_review", f"{key}-1")).to_be_visible(timeout=2000)
    assert alice.http.get(f"/api/v1/work-items/{key}-1").json()["status"] == "in_review"


def test_a_stale_drag_shows_the_other_change(page: Page, server: LiveServer, rest: Rest) -> None:
    alice, bob = rest(server, "alice"), rest(server, "bob")
    project_id, key = project_with_items(alice, ["Contested"], "bob")
    held = {"events": False}

    def relay(ws: WebSocketRoute) -> None:  # the page's socket, with events held on demand
        upstream = ws.connect_to_server()
        upstream.on_message(lambda message: None if held["events"] else ws.send(message))

    page.route_web_socket(re.compile(r".*/ws$"), relay)
    open_board(page, server, "alice", project_id)
    held["events"] = True  # the page does not hear of bob's change
    bob.patch(f"/work-items/{key}-1", {"status": "done"})
    page.get_by_test_id(f"card-{key}-1").drag_to(page.get_by_test_id("lane-in_review"))

    expect(page.get_by_test_id("notice")).to_contain_text("changed by bob")
    expect(card_in(page, "done", f"{key}-1")).to_be_visible()  # where it now is
    expect(page.get_by_test_id("lane-in_review").get_by_test_id(f"card-{key}-1")).to_have_count(0)
    assert alice.http.get(f"/api/v1/work-items/{key}-1").json()["status"] == "done"


def test_reconnects_and_resumes_after_the_server_restarts(
    page: Page, tmp_path: Path, rest: Rest
) -> None:
    from tests.conftest import SECRET
    from tests.live import free_port, start, stop

    data, port = tmp_path / "data", free_port()
    server = start(data, SECRET, port=port)
    blocked = {"on": False}

    def gate(ws: WebSocketRoute) -> None:  # while blocked, the page cannot reconnect
        if blocked["on"]:
            ws.close()
        else:
            ws.connect_to_server()

    page.route_web_socket(re.compile(r".*/ws$"), gate)
    try:
        alice = rest(server, "alice")
        project_id, key = project_with_items(alice, ["Survives", "Also"])
        open_board(page, server, "alice", project_id)
        blocked["on"] = True
        stop(server)
        expect(page.get_by_test_id("offline-banner")).to_be_visible()
        server = start(data, SECRET, port=port)
        alice = rest(server, "alice")
        # Changed while the page is still away: it must arrive by replay (since_seq).
        alice.patch(f"/work-items/{key}-1", {"status": "done"})
        alice.patch(f"/work-items/{key}-2", {"status": "in_review"})
        blocked["on"] = False
        expect(page.get_by_test_id("offline-banner")).to_be_hidden(timeout=10_000)
        expect(card_in(page, "done", f"{key}-1")).to_be_visible()
        expect(card_in(page, "in_review", f"{key}-2")).to_be_visible()
        alice.patch(f"/work-items/{key}-2", {"status": "done"})  # and live again
        expect(card_in(page, "done", f"{key}-2")).to_be_visible(timeout=2000)
    finally:
        stop(server)


def test_a_script_in_a_comment_shows_as_text(page: Page, server: LiveServer, rest: Rest) -> None:
    alice = rest(server, "alice")
    project_id, key = project_with_items(alice, ["Commented"])
    open_board(page, server, "alice", project_id)
    page.get_by_test_id(f"card-{key}-1").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("item-panel")).to_be_visible()
    text = (
        '<script>window.pwned = 1</script> <img src=x onerror="window.pwned = 2">\n\n'
        "**bold** and [docs](https://example.com/a?b=1&c=2) and [bad](javascript:alert(1))"
    )
    page.get_by_test_id("comment-input").fill(text)
    page.get_by_test_id("add-comment").click()
    body = page.get_by_test_id("comment-body")
    expect(body).to_contain_text("<script>window.pwned = 1</script>")
    expect(body).to_contain_text('<img src=x onerror="window.pwned = 2">')
    assert body.locator("script, img").count() == 0
    expect(body.locator("strong")).to_have_text("bold")
    links = body.locator("a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://example.com/a?b=1&c=2")
    assert page.evaluate("window.pwned") is None
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("item-panel")).to_be_hidden()
    expect(page.get_by_test_id(f"card-{key}-1")).to_be_focused()  # focus comes back


def test_a_phone_sized_screen_moves_a_card_from_the_item_panel(
    new_context: Any, server: LiveServer, rest: Rest
) -> None:
    alice = rest(server, "alice")
    project_id, key = project_with_items(alice, ["On the go"])
    context: BrowserContext = new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    open_board(page, server, "alice", project_id)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no page-wide overflow
    page.get_by_test_id(f"card-{key}-1").get_by_role("link", name="On the go").tap()
    panel = page.get_by_test_id("item-panel")
    expect(panel).to_be_visible()
    assert panel.bounding_box()["width"] <= 390  # type: ignore[index]
    page.get_by_test_id("field-status").select_option("in_progress")
    page.get_by_test_id("field-points").fill("5")
    page.get_by_test_id("save-item").click()
    page.get_by_test_id("close-panel").tap()
    expect(card_in(page, "in_progress", f"{key}-1")).to_contain_text("5 pt")


def test_the_backlog_and_sprints(page: Page, server: LiveServer, rest: Rest) -> None:
    alice = rest(server, "alice")
    project_id, key = project_with_items(alice, ["First", "Second"])
    open_board(page, server, "alice", project_id)
    page.get_by_test_id("tab-sprints").click()
    page.get_by_test_id("sprint-name").fill("Sprint 1")
    page.get_by_test_id("plan-sprint").click()
    expect(page.get_by_test_id("sprint-Sprint 1")).to_contain_text("planned")
    page.get_by_test_id("tab-backlog").click()
    expect(page.get_by_test_id("backlog").locator("li")).to_have_count(2)
    page.get_by_test_id(f"add-to-sprint-{key}-2").click()
    expect(page.get_by_test_id("backlog").locator("li")).to_have_count(1)
    page.get_by_test_id("tab-sprints").click()
    sprint = page.get_by_test_id("sprint-Sprint 1")
    expect(sprint).to_contain_text("0 of 1 items done")
    sprint.get_by_role("button", name="Start sprint").click()
    expect(sprint.get_by_test_id("sprint-status")).to_have_text("active")
    alice.patch(f"/work-items/{key}-2", {"status": "done"})
    expect(sprint).to_contain_text("1 of 1 items done")  # live
    page.get_by_test_id("tab-board").click()
    page.get_by_test_id("filter-sprint").select_option(label="Sprint 1 (active)")
    expect(page.get_by_test_id("board-count")).to_have_text("1 of 2 items")


def test_a_board_of_1000_items(
    page: Page, server: LiveServer, output_path: str, rest: Rest
) -> None:
    """Renders them all; the time it takes goes to docs/performance.md, it is not asserted."""
    alice = rest(server, "alice")
    project_id, key = project_with_items(alice, [])
    lanes = ["backlog", "in_progress", "in_review", "done"]
    for n in range(1000):
        alice.post(
            f"/projects/{project_id}/work-items",
            {
                "item_type": "task" if n % 3 else "story",
                "title": f"Item {n}",
                "status": lanes[n % 4],
                "story_points": n % 8,
            },
        )
    page.goto(sign_in_url(server, "alice"))
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()
    page.add_init_script(
        """new MutationObserver((_, observer) => {
             if (document.querySelectorAll('[data-testid^="card-"]').length >= 1000) {
               window.boardRenderedAt = performance.now(); observer.disconnect();
             }
           }).observe(document, {childList: true, subtree: true});"""
    )
    page.goto(f"{server.url}/#/p/{project_id}/board")
    page.reload()  # a fresh load of the page, straight onto the board
    expect(page.get_by_test_id("board-count")).to_have_text("1000 of 1000 items", timeout=60_000)
    page.wait_for_function("window.boardRenderedAt !== undefined", timeout=60_000)
    rendered_ms = page.evaluate("window.boardRenderedAt")
    loaded_ms = page.evaluate("performance.getEntriesByName('pm:project-loaded')[0].startTime")
    for lane in lanes:
        expect(
            page.get_by_test_id(f"lane-{lane}").get_by_test_id(re.compile("card-"))
        ).to_have_count(250)
    # Still usable: a drop onto the (tall) column's top.
    done = page.get_by_test_id("lane-done")
    page.get_by_test_id(f"card-{key}-1").drag_to(done, target_position={"x": 40, "y": 15})
    expect(card_in(page, "done", f"{key}-1")).to_be_visible()
    report = {
        "cards": 1000,
        "navigation_to_rendered_ms": round(rendered_ms),
        "navigation_to_data_loaded_ms": round(loaded_ms),
    }
    Path(output_path).mkdir(parents=True, exist_ok=True)
    (Path(output_path) / "board-1000.json").write_text(json.dumps(report))
    print(f"\nboard of 1,000 items: data in {loaded_ms:.0f} ms, rendered {rendered_ms:.0f} ms")

"""`pm` against a real server: commands, --json, exit codes, profiles, watch."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import SECRET, token
from tests.integration.clients.conftest import PM, Pm
from tests.live import LiveServer, start, stop


def _project(pm: Pm, key: str = "PONE") -> dict[str, object]:
    done = pm("--json", "project", "create", "--key", key, "--title", "Project one")
    assert done.code == 0, done.stderr
    project = done.json()
    assert isinstance(project, dict)
    return project


def test_login_stores_profiles_privately_and_whoami_reads_them(pm: Pm, tmp_path: Path) -> None:
    env = {"PM_SERVER_URL": "", "PM_TOKEN": ""}
    server = pm.env["PM_SERVER_URL"]
    first = pm("login", "--server", server, "--token", pm.env["PM_TOKEN"], env=env)
    assert first.code == 0, first.stderr
    other = token("elsewhere", "bob")
    assert pm("login", "--server", server, "--token", other, "--profile", "work", env=env).code == 0
    path = tmp_path / "config" / "pm" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    me = pm("--json", "whoami", env=env).json()
    assert me == {**me, "tenant_id": pm.tenant, "user_id": "alice", "profile": "default"}
    bob = pm("--json", "--profile", "work", "whoami", env=env).json()
    assert bob == {**bob, "tenant_id": "elsewhere", "user_id": "bob", "profile": "work"}


def test_not_logged_in_or_bad_token_exits_4(pm: Pm) -> None:
    done = pm("project", "list", env={"PM_SERVER_URL": "", "PM_TOKEN": ""})
    assert done.code == 4
    assert "pm login" in done.stderr
    forged = token("acme", "alice")[:-4] + "AAAA"
    done = pm("--json", "project", "list", env={"PM_TOKEN": forged})
    assert done.code == 4
    assert '"AUTHENTICATION_FAILED"' in done.stderr
    assert done.stdout == ""


def test_items_from_create_to_delete(pm: Pm) -> None:
    _project(pm)
    epic = pm("--json", "item", "create", "pone", "--type", "epic", "--title", "Login").json()
    assert isinstance(epic, dict)
    assert epic["key"] == "PONE-1"
    story = pm(
        "item", "create", "PONE", "--type", "story", "--title", "Form",
        "--parent", "PONE-1", "--points", "3", "--priority", "high",
    )  # fmt: skip
    assert story.code == 0, story.stderr
    assert "Created PONE-2" in story.stdout
    listed = pm("--json", "item", "list", "PONE", "--type", "story").json()
    assert [i["key"] for i in listed] == ["PONE-2"]  # type: ignore[union-attr,index]
    assert "Form" in pm("item", "list", "PONE").stdout
    moved = pm("--json", "item", "move", "PONE-2", "in_progress").json()
    assert moved["status"] == "in_progress"  # type: ignore[index,call-overload]
    updated = pm(
        "--json", "item", "update", "PONE-2", "--title", "Sign-in form", "--assignee", "bob"
    )
    assert updated.json()["assignee_id"] == "bob"  # type: ignore[index,call-overload]
    assert pm("comment", "add", "PONE-2", "Looks **good**").code == 0
    shown = pm("--json", "item", "show", "PONE-2").json()
    assert isinstance(shown, dict)
    assert shown["work_item"]["title"] == "Sign-in form"
    assert [c["content"] for c in shown["comments"]] == ["Looks **good**"]
    assert {a["action"] for a in shown["activity"]} >= {"created", "updated"}
    human = pm("item", "show", "PONE-2")
    assert "Sign-in form" in human.stdout
    assert "Looks **good**" in human.stdout
    assert pm("item", "delete", "PONE-1").code == 0
    assert pm("item", "show", "PONE-2").code == 3  # deleted with its epic


def test_exit_codes_name_what_went_wrong(pm: Pm) -> None:
    _project(pm)
    assert pm("item", "create", "PONE", "--type", "task", "--title", "T").code == 0
    missing = pm("--json", "item", "show", "PONE-99")
    assert missing.code == 3
    assert missing.stdout == ""
    assert '"NOT_FOUND"' in missing.stderr
    assert pm("project", "show", "NOPE").code == 3
    stale = pm("item", "move", "PONE-1", "done", "--expected-version", "7")
    assert stale.code == 5
    assert "version" in stale.stderr
    invalid = pm("--json", "item", "move", "PONE-1", "no_such_lane")
    assert invalid.code == 1
    assert '"field": "status"' in invalid.stderr
    assert pm("item", "create", "PONE", "--title", "no type").code == 2
    assert pm("item", "frobnicate").code == 2


def test_a_viewer_is_not_allowed_to_write(pm: Pm, server: LiveServer) -> None:
    project = _project(pm)
    admin = {"Authorization": f"Bearer {token(pm.tenant, 'alice')}"}
    put = httpx.put(
        f"{server.url}/api/v1/projects/{project['id']}/members/vic",
        json={"role": "viewer"},
        headers=admin,
    )
    assert put.status_code == 200
    viewer = {"PM_TOKEN": token(pm.tenant, "vic")}
    assert pm("item", "list", "PONE", env=viewer).code == 0
    refused = pm("item", "create", "PONE", "--type", "task", "--title", "x", env=viewer)
    assert refused.code == 4


def test_sprints_timers_and_dependencies(pm: Pm) -> None:
    _project(pm)
    for title in ("A", "B", "C"):
        assert pm("item", "create", "PONE", "--type", "task", "--title", title).code == 0
    sprint = pm(
        "--json", "sprint", "create", "PONE", "--name", "S1",
        "--start", "2026-12-01", "--end", "2026-12-14", "--goal", "ship",
    ).json()  # fmt: skip
    assert isinstance(sprint, dict)
    assert sprint["status"] == "planned"
    assert pm("--json", "sprint", "start", sprint["id"]).json()["status"] == "active"  # type: ignore[index,call-overload]
    assert [s["name"] for s in pm("--json", "sprint", "list", "PONE").json()] == ["S1"]  # type: ignore[union-attr,index]
    assert pm("sprint", "create", "PONE", "--name", "x", "--start", "soon", "--end", "1").code == 2
    assert pm("--json", "sprint", "complete", sprint["id"]).json()["status"] == "completed"  # type: ignore[index,call-overload]

    started = pm("--json", "timer", "start", "PONE-1", "--note", "coding").json()
    assert started["time_entry"]["description"] == "coding"  # type: ignore[index,call-overload]
    assert pm("--json", "timer", "status").json()["time_entry"] is not None  # type: ignore[index,call-overload]
    assert pm("timer", "stop").code == 0
    assert pm("timer", "stop").code == 3
    assert "No timer" in pm("timer", "status").stdout

    link = pm("--json", "dep", "add", "PONE-1", "blocks", "PONE-2").json()
    assert isinstance(link, dict)
    assert link["dependency_type"] == "blocks"
    assert pm("dep", "add", "PONE-2", "blocks", "PONE-3").code == 0
    cycle = pm("dep", "add", "PONE-3", "blocks", "PONE-1")
    assert cycle.code == 1, cycle.stderr
    assert "cycle" in cycle.stderr
    assert pm("dep", "add", "PONE-2", "blocks", "PONE-1").code == 5  # already linked
    deps = pm("--json", "dep", "list", "PONE-2").json()
    assert [d["id"] for d in deps["blocking"]] == [link["id"]]  # type: ignore[index,call-overload]
    assert pm("dep", "add", "PONE-1", "relates-to", "PONE-2").code != 0  # one link per pair
    assert pm("dep", "remove", str(link["id"])).code == 0
    assert pm("--json", "dep", "list", "PONE-2").json()["blocking"] == []  # type: ignore[index,call-overload]


def test_json_output_is_one_document_from_the_real_executable(pm: Pm) -> None:
    _project(pm)
    env = {**os.environ, **pm.env}
    listed = subprocess.run(
        [str(PM), "project", "list", "--json"], env=env, capture_output=True, text=True, check=False
    )
    assert listed.returncode == 0, listed.stderr
    assert [p["key"] for p in json.loads(listed.stdout)] == ["PONE"]
    missing = subprocess.run(
        [str(PM), "item", "show", "PONE-5", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 3
    assert missing.stdout == ""
    assert json.loads(missing.stderr)["error"]["code"] == "NOT_FOUND"
    down = subprocess.run(
        [str(PM), "project", "list"],
        env={**env, "PM_SERVER_URL": "http://127.0.0.1:9"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert down.returncode == 1
    assert "cannot reach" in down.stderr
    assert "Traceback" not in down.stderr


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_watch_prints_events_and_resumes_after_the_server_restarts(pm: Pm, tmp_path: Path) -> None:
    data = tmp_path / "watch-data"
    own = start(data, SECRET)
    env = {"PM_SERVER_URL": own.url}
    try:
        assert pm("project", "create", "--key", "WAT", "--title", "Watched", env=env).code == 0
        watcher = pm.process("watch", "WAT", "--count", "2", env=env)
        assert watcher.stderr is not None
        seen = [watcher.stderr.readline() for _ in range(2)]  # watching …, live from seq …
        assert "live from seq" in seen[1], seen
        assert pm("item", "create", "WAT", "--type", "task", "--title", "first", env=env).code == 0
        stop(own)
        own = start(data, SECRET, port=own.port)
        assert pm("item", "create", "WAT", "--type", "task", "--title", "second", env=env).code == 0
        out, err = watcher.communicate(timeout=60)
    finally:
        stop(own)
    assert watcher.returncode == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 2, (out, err)
    assert "work_item_created" in lines[0]
    assert '"first"' in lines[0]
    assert '"second"' in lines[1]
    assert "reconnecting" in err
    assert "resumed after seq" in err


def test_export_then_import_into_a_new_tenant(pm: Pm, tmp_path: Path) -> None:
    admin = {"PM_TOKEN": token(pm.tenant, "alice", roles=["tenant_admin"])}
    _project(pm)
    for title in ("one", "two"):
        assert pm("item", "create", "PONE", "--type", "task", "--title", title).code == 0
    file = tmp_path / "export.json"
    exported = pm("--json", "export", str(file), env=admin)
    assert exported.code == 0, exported.stderr
    summary = exported.json()
    assert isinstance(summary, dict)
    assert summary["entities"]["work_items"] == 2
    assert json.loads(file.read_text())["format"] == "pm-export"
    assert pm("export", str(tmp_path / "no.json")).code == 4  # not a tenant admin
    other = {"PM_TOKEN": token(pm.tenant + "-copy", "alice", roles=["tenant_admin"])}
    dry = pm("--json", "import", str(file), "--dry-run", env=other)
    assert dry.code == 0, dry.stderr
    assert dry.json()["entities"]["work_items"]["created"] == 2  # type: ignore[index,call-overload]
    assert pm("--json", "project", "list", env=other).json() == []
    done = pm("import", str(file), env=other)
    assert done.code == 0, done.stderr
    copied = pm("--json", "item", "list", "PONE", env=other).json()
    assert [i["title"] for i in copied] == ["one", "two"]  # type: ignore[index,union-attr]
    again = pm("--json", "import", str(file), env=other)
    assert again.code == 1  # create mode needs an empty tenant
    assert json.loads(again.stderr)["error"]["field"] == "mode"


def test_ready_and_snapshot_for_an_agent(pm: Pm) -> None:
    _project(pm)
    for title in ("first", "second"):
        assert pm("item", "create", "PONE", "--type", "task", "--title", title).code == 0
    assert pm("dep", "add", "PONE-1", "blocks", "PONE-2").code == 0
    ready = pm("--json", "ready", "PONE").json()
    assert isinstance(ready, dict)
    assert [i["key"] for i in ready["items"]] == ["PONE-1"]
    assert ready["items"][0]["unblocks"] == 1
    assert "PONE-1" in pm("ready", "pone").stdout
    text = pm("snapshot", "PONE", "--max-tokens", "500")
    assert text.code == 0, text.stderr
    assert "PONE-2" in text.stdout
    assert len(text.stdout) <= 500 * 4 + 200
    assert pm("--json", "snapshot", "PONE", "--format", "json").code == 0
    assert pm("snapshot", "PONE", "--format", "yaml").code == 2

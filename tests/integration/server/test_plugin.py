"""Plugin mode: pm mounted under /pm in a host with its own session-cookie sign-in, over uvicorn."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import Scope
from websockets.exceptions import ConnectionClosed, InvalidStatus

from pm.server.app import create_app
from pm.server.plugin import Principal
from pm.server.settings import Settings, SettingsError
from pm.ws.limits import CLOSE_TOKEN_EXPIRED
from tests.live import serving
from tests.plugin_host import COOKIE, Host
from tests.wsclient import WsClient, subscribe

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def host(settings: Settings) -> Host:
    """The example host of docs/deployment.md, over the test's data directory."""
    return Host(settings.model_copy(update={"jwt_secret": None}))


@pytest.fixture
async def address(host: Host) -> AsyncIterator[str]:
    """Where the host listens (host:port)."""
    async with serving(host.app) as port:
        yield f"127.0.0.1:{port}"


@asynccontextmanager
async def _signed_in(address: str, user: str, password: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as http:
        answer = await http.post("/login", json={"user": user, "password": password})
        assert answer.status_code == 200, answer.text
        yield http


async def test_rest_websocket_and_event_hook_work_under_the_prefix(
    host: Host, address: str
) -> None:
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as anonymous:
        refused = await anonymous.get("/pm/api/v1/projects")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
    async with _signed_in(address, "alice", "wonderland") as http:
        project = await http.post("/pm/api/v1/projects", json={"key": "HOST", "title": "Hosted"})
        assert project.status_code == 201, project.text
        assert project.json()["created_by"] == "alice"
        project_id = project.json()["id"]
        cookie = {"Cookie": f"{COOKIE}={http.cookies[COOKIE]}"}
        client = await WsClient.open(f"ws://{address}/pm/ws", additional_headers=cookie)
        try:
            confirmed = await client.request("subscribe", subscribe([project_id]))
            assert list(confirmed.subscription_confirmed.project_ids) == [project_id]
            item = await http.post(
                f"/pm/api/v1/projects/{project_id}/work-items",
                json={"item_type": "story", "title": "Seen live"},
            )
            assert item.status_code == 201, item.text
            event = await client.event("work_item_created")
            assert event.work_item_created.work_item.id == item.json()["id"]
            assert event.work_item_created.user_id == "alice"
        finally:
            await client.close()
        listed = await http.get(f"/pm/api/v1/projects/{project_id}/work-items")
        assert [i["title"] for i in listed.json()["items"]] == ["Seen live"]
    kinds = [(tenant, kind) for tenant, _, kind in host.bus]
    assert kinds == [("acme", "project_created"), ("acme", "work_item_created")]
    assert [seq for _, seq, _ in host.bus] == [1, 2]
    assert event.seq == 2


async def test_a_websocket_without_a_host_session_is_refused(address: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await WsClient.open(f"ws://{address}/pm/ws", additional_headers={"Cookie": "x=y"})
    assert refused.value.response.status_code == 401


async def test_health_openapi_and_docs_answer_under_the_prefix(address: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as http:
        assert (await http.get("/pm/health")).json() == {"status": "ok"}
        assert (await http.get("/pm/ready")).json()["status"] == "ok"
        schema = (await http.get("/pm/openapi.json")).json()
        assert schema["servers"] == [{"url": "/pm"}]
        assert "/api/v1/projects" in schema["paths"]
        docs = await http.get("/pm/docs")
        assert docs.status_code == 200
        assert "/pm/openapi.json" in docs.text


async def test_a_tenant_admin_role_from_the_host_is_honoured(host: Host, address: str) -> None:
    async with _signed_in(address, "alice", "wonderland") as alice:
        await alice.post("/pm/api/v1/projects", json={"key": "ADM", "title": "Alice's"})
    async with _signed_in(address, "root", "hunter2") as root:
        events = await root.get("/pm/api/v1/events")  # tenant-wide: admins only
        assert events.status_code == 200, events.text
        assert [e["kind"] for e in events.json()["events"]] == ["project_created"]


async def test_a_websocket_closes_when_the_host_session_expires(settings: Settings) -> None:
    expired = Principal("acme", "alice", expires_at=int(time.time()) - 3600)
    async with serving(_mounted(settings, lambda scope: expired)) as port:
        client = await WsClient.open(f"ws://127.0.0.1:{port}/pm/ws")
        with pytest.raises(ConnectionClosed) as closed:
            await client.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == CLOSE_TOKEN_EXPIRED


def _mounted(settings: Settings, authenticate: object) -> Starlette:
    pm = create_app(settings, authenticate=authenticate)
    return Starlette(routes=[Mount("/pm", app=pm)])


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("alice", "must return a pm Principal or None, not str"),
        ({"tenant_id": "acme", "user_id": "alice"}, "not dict"),
        (Principal("../etc", "alice"), "tenant_id must be"),
        (Principal("acme", ""), "user_id must be a string"),
        (Principal("acme", "alice", roles="admin"), "roles must be a set of strings"),
        (Principal("acme", "alice", expires_at="soon"), "expires_at must be"),
    ],
)
async def test_an_authenticator_returning_garbage_gets_a_clear_401(
    settings: Settings, answer: object, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def authenticate(scope: Scope) -> object:
        return answer

    app = _mounted(settings, authenticate)
    pm = app.routes[0].app
    async with pm.router.lifespan_context(pm):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://host") as http:
            with caplog.at_level(logging.ERROR, logger="pm.auth.host"):
                got = await http.get("/pm/api/v1/projects")
    assert got.status_code == 401
    assert reason in got.json()["detail"]
    assert any(reason in r.getMessage() for r in caplog.records)
    assert not any(r.exc_info for r in caplog.records)


def test_an_authenticator_that_is_not_callable_is_refused_at_once(settings: Settings) -> None:
    with pytest.raises(TypeError, match="authenticate must be a callable"):
        create_app(settings, authenticate="session")
    with pytest.raises(TypeError, match="on_event must be a callable"):
        create_app(settings, on_event=42)


def test_settings_come_from_the_environment(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_PATH", str(data_dir))
    monkeypatch.setenv("TENANT_CACHE_SIZE", "7")
    assert create_app(authenticate=lambda scope: None).state.settings.tenant_cache_size == 7
    monkeypatch.setenv("TENANT_CACHE_SIZE", "many")
    with pytest.raises(SettingsError, match="TENANT_CACHE_SIZE"):
        create_app(authenticate=lambda scope: None)


def test_the_deployment_guide_shows_the_tested_host() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text()
    example = (ROOT / "tests" / "plugin_host.py").read_text()
    assert f"```python\n{example}```" in guide


async def test_mcp_under_the_prefix_acts_as_the_hosts_signed_in_user(
    host: Host, address: str
) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=10) as anonymous:
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        refused = await anonymous.post("/pm/mcp", json=body)
        assert refused.status_code == 401
    async with _signed_in(address, "alice", "wonderland") as http:
        made = await http.post("/pm/api/v1/projects", json={"key": "MCPH", "title": "Hosted"})
        assert made.status_code == 201, made.text
        cookie = {"Cookie": f"{COOKIE}={http.cookies[COOKIE]}"}
        async with (
            httpx2.AsyncClient(headers=cookie, timeout=30) as mcp_http,
            Client(
                streamable_http_client(f"http://{address}/pm/mcp", http_client=mcp_http)
            ) as client,
        ):
            created = await client.call_tool(
                "create_work_item", {"project": "MCPH", "item_type": "task", "title": "Via MCP"}
            )
            assert not created.is_error, created.content
            assert created.structured_content is not None
            assert created.structured_content["work_item"]["created_by"] == "alice"

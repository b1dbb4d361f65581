"""Every route of the app, walked: a valid token is required, and another tenant's ids are 404.

The walk takes the routes from the app itself, so a new route is covered (or the test fails
until it is added to the tables below): bodies are keyed by (method, path) and path
parameters by name.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from pydantic import TypeAdapter
from starlette.routing import WebSocketRoute

from pm.core.actor import Actor
from pm.service import webhooks
from tests.conftest import admin_bearer, bearer, token
from tests.helpers import API, add_member, create_item, create_project

# Paths that answer without a token: health probes and the API documentation.
ALLOW_LIST = frozenset(
    {
        "/health",
        "/live",
        "/ready",
        "/metrics",  # loopback clients (the test client) or METRICS_TOKEN: test_metrics.py
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        "/openapi.json",
    }
)
# The web board's static files (tests/integration/web): public, they hold no data.
BOARD_PATHS = frozenset({"/", "/assets/{name:path}"})
PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")
OWNER = bearer("acme", "alice")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One method of one route, as the app serves it."""

    method: str
    path: str  # the template, with {parameters}
    takes_body: bool
    body_type: Any

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    def url(self, values: dict[str, str]) -> str:
        return PARAM.sub(lambda m: values[m.group(1)], self.path)


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every HTTP method of every route (HEAD aside), included routers flattened.

    `app.routes` holds the routers included with a prefix as single entries in this
    FastAPI version; `iter_route_contexts` yields each route with its full path.
    """
    found: list[Endpoint] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, WebSocketRoute | APIWebSocketRoute):
            continue  # see test_the_websocket_handshake_needs_a_token
        body = route.body_field if isinstance(route, APIRoute) else None
        path = context.path
        assert path is not None, route
        if path in BOARD_PATHS:
            continue  # static files, no token by design: see test_the_board_needs_no_token
        for method in sorted((context.methods or set()) - {"HEAD"}):
            found.append(
                Endpoint(
                    method,
                    path,
                    body is not None,
                    None if body is None else body.field_info.annotation,
                )
            )
    return found


def websocket_paths(app: FastAPI) -> list[str]:
    """The paths of the app's WebSocket routes."""
    return [
        str(c.path)
        for c in iter_route_contexts(app.routes)
        if isinstance(c.original_route, WebSocketRoute | APIWebSocketRoute)
    ]


# A valid body for every (method, path) that takes one. A route missing here fails the walk.
P = f"{API}/projects/{{project_id}}"
W = f"{API}/work-items/{{id_or_key}}"
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", f"{API}/projects"): {"key": "EVIL", "title": "Planted"},
    ("PATCH", P): {"title": "Pwned"},
    ("PUT", P): {"title": "Pwned"},
    ("POST", f"{P}/work-items"): {"item_type": "story", "title": "Planted"},
    ("PATCH", W): {"title": "Pwned"},
    ("PUT", W): {"title": "Pwned"},
    ("POST", f"{W}/comments"): {"content": "Planted"},
    ("PATCH", f"{API}/comments/{{comment_id}}"): {"content": "Pwned"},
    ("PUT", f"{API}/comments/{{comment_id}}"): {"content": "Pwned"},
    ("POST", f"{W}/time-entries"): {"started_at": 0, "ended_at": 60},
    ("POST", f"{W}/timer/start"): {"description": "Planted"},
    ("PATCH", f"{API}/time-entries/{{entry_id}}"): {"description": "Pwned"},
    ("PUT", f"{API}/time-entries/{{entry_id}}"): {"description": "Pwned"},
    ("POST", f"{API}/dependencies"): {
        "blocking_item_id": "{story}",
        "blocked_item_id": "{epic}",
        "dependency_type": "relates_to",
    },
    ("POST", f"{P}/sprints"): {"name": "Planted", "start_date": 0, "end_date": 60},
    ("PATCH", f"{API}/sprints/{{sprint_id}}"): {"name": "Pwned"},
    ("PUT", f"{API}/sprints/{{sprint_id}}"): {"name": "Pwned"},
    ("POST", f"{P}/swim-lanes"): {"status_value": "evil", "name": "Evil"},
    ("PUT", f"{P}/swim-lanes/order"): {"lane_ids": "{lanes}"},
    ("PATCH", f"{API}/swim-lanes/{{lane_id}}"): {"name": "Pwned"},
    ("PUT", f"{API}/swim-lanes/{{lane_id}}"): {"name": "Pwned"},
    ("PUT", f"{P}/members/{{user_id}}"): {"role": "admin"},
    ("POST", f"{API}/bulk"): {"operations": [{"op": "delete", "entity": "comment", "id": "c"}]},
    ("POST", f"{API}/webhooks"): {"url": "http://127.0.0.1:9/hook", "event_types": ["*"]},
    ("PATCH", f"{API}/webhooks/{{webhook_id}}"): {"description": "Pwned"},
}


# Every path parameter names an entity; seed() fills each with a real id of acme.
ID_PARAMS = (
    "project_id",
    "id_or_key",
    "comment_id",
    "entry_id",
    "dependency_id",
    "sprint_id",
    "lane_id",
    "user_id",
    "webhook_id",
    "delivery_id",
)


@dataclass
class Acme:
    """Real entities of tenant acme, one of each kind."""

    ids: dict[str, str]  # path parameter name → a real id
    key: str  # the story's key (id_or_key is walked with the id and with the key)
    project_key: str  # project_id is walked with the id and with the key
    story: str
    epic: str
    lanes: list[str]

    def body(self, endpoint: Endpoint) -> dict[str, Any] | None:
        """The table's body for an endpoint, placeholders filled with real ids."""
        if not endpoint.takes_body:
            return None
        template = BODIES[(endpoint.method, endpoint.path)]
        fill: dict[str, Any] = {"{story}": self.story, "{epic}": self.epic, "{lanes}": self.lanes}
        return {k: fill.get(v, v) if isinstance(v, str) else v for k, v in template.items()}

    def urls(self, endpoint: Endpoint) -> Iterator[str]:
        """The endpoint's URL with real ids, and again with keys where a key may stand in
        (work items: PONE-42; projects: ACME and acme)."""
        yield endpoint.url(self.ids)
        if "id_or_key" in endpoint.params:
            yield endpoint.url({**self.ids, "id_or_key": self.key})
        if "project_id" in endpoint.params:
            for key in (self.project_key, self.project_key.lower()):
                yield endpoint.url({**self.ids, "project_id": key})


async def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _webhook(app: FastAPI, project_id: str) -> tuple[str, str]:
    """A subscription of acme's project and a delivery of it, made through the service layer
    (the API refuses loopback targets; the dispatcher is never told of this tenant)."""
    tenancy = app.state.services.tenancy
    async with tenancy.unit_of_work(Actor("acme", "alice", is_tenant_admin=True)) as uow:
        made = await webhooks.create_webhook(
            uow, webhooks.NewWebhook("http://127.0.0.1:9/hook", ["*"], project_id), "whsec_AAAA"
        )
        delivery = await webhooks.send_test(uow, made.webhook.id)
    return made.webhook.id, delivery.id


async def seed(client: httpx.AsyncClient, app: FastAPI) -> Acme:
    """A project in acme with one entity of every kind that has a route by id."""
    project = await create_project(client, OWNER, key="ACME")
    pid = project["id"]
    epic = await create_item(client, OWNER, pid, "epic", "Epic")
    story = await create_item(client, OWNER, pid, "story", "Story", parent_id=epic["id"])
    task = await create_item(client, OWNER, pid, "task", "Task", parent_id=story["id"])
    sprint = await _created(
        await client.post(
            f"{API}/projects/{pid}/sprints",
            json={"name": "S1", "start_date": 0, "end_date": 86_400},
            headers=OWNER,
        )
    )
    comment = await _created(
        await client.post(
            f"{API}/work-items/{story['id']}/comments", json={"content": "Hi"}, headers=OWNER
        )
    )
    entry = await _created(
        await client.post(
            f"{API}/work-items/{story['id']}/time-entries",
            json={"started_at": 0, "ended_at": 60},
            headers=OWNER,
        )
    )
    dependency = await _created(
        await client.post(
            f"{API}/dependencies",
            json={
                "blocking_item_id": story["id"],
                "blocked_item_id": task["id"],
                "dependency_type": "blocks",
            },
            headers=OWNER,
        )
    )
    lane = await _created(
        await client.post(
            f"{API}/projects/{pid}/swim-lanes",
            json={"status_value": "qa", "name": "QA"},
            headers=OWNER,
        )
    )
    await add_member(client, OWNER, pid, "bob", "editor")
    lanes = await client.get(f"{API}/projects/{pid}/swim-lanes", headers=OWNER)
    webhook_id, delivery_id = await _webhook(app, pid)
    return Acme(
        ids={
            "project_id": pid,
            "id_or_key": story["id"],
            "comment_id": comment["id"],
            "entry_id": entry["id"],
            "dependency_id": dependency["id"],
            "sprint_id": sprint["id"],
            "lane_id": lane["id"],
            "user_id": "bob",  # an existing member
            "webhook_id": webhook_id,
            "delivery_id": delivery_id,
        },
        key=story["key"],
        project_key=project["key"],
        story=story["id"],
        epic=epic["id"],
        lanes=[lane["id"] for lane in lanes.json()],
    )


def snapshot(data_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of acme's database, straight from the file."""
    with closing(sqlite3.connect(data_dir / "tenants" / "acme" / "main.db")) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)  # noqa: S608
            for t in tables
        }


def test_the_tables_match_the_routes(app: FastAPI) -> None:
    """Every route that takes a body has a valid one here, and no entry is stale."""
    walked = endpoints(app)
    assert len(walked) > 40  # the walk really sees the included routers
    paths = {e.path for e in walked}
    assert paths >= ALLOW_LIST, f"allow-listed paths the app does not serve: {ALLOW_LIST - paths}"
    with_body = {(e.method, e.path): e for e in walked if e.takes_body}
    missing = set(with_body) - set(BODIES)
    assert not missing, f"add a valid body for these routes to BODIES: {sorted(missing)}"
    stale = set(BODIES) - set(with_body)
    assert not stale, f"BODIES has entries for routes without a body: {sorted(stale)}"
    ids = {"{story}": "s", "{epic}": "e", "{lanes}": ["l"]}
    for key, body in BODIES.items():
        filled = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
        TypeAdapter(with_body[key].body_type).validate_python(filled)  # a valid shape
    unknown = {p for e in walked for p in e.params} - set(ID_PARAMS)
    assert not unknown, f"add these path parameters to ID_PARAMS: {sorted(unknown)}"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
    ],
    ids=["none", "empty", "garbage", "basic"],
)
async def test_every_route_needs_a_valid_token(
    app: FastAPI, client: httpx.AsyncClient, data_dir: Path, headers: dict[str, str]
) -> None:
    acme = await seed(client, app)
    before = snapshot(data_dir)
    checked = 0
    for endpoint in endpoints(app):
        if endpoint.path in ALLOW_LIST:
            continue
        for url in acme.urls(endpoint):
            # Once with the valid body, once with none: authentication comes before validation.
            for body in (acme.body(endpoint), None):
                response = await client.request(endpoint.method, url, json=body, headers=headers)
                assert response.status_code == 401, (endpoint.method, url, response.text)
                assert response.json()["code"] == "AUTHENTICATION_FAILED"
                assert response.headers["www-authenticate"].startswith("Bearer")
                checked += 1
    assert checked > 80
    assert snapshot(data_dir) == before


async def test_the_allow_list_answers_without_a_token(client: httpx.AsyncClient) -> None:
    for path in sorted(ALLOW_LIST):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text)


async def test_the_board_needs_no_token(app: FastAPI, client: httpx.AsyncClient) -> None:
    paths = {getattr(route, "path", None) for route in app.router.routes}
    assert paths >= BOARD_PATHS
    assert (await client.get("/")).status_code == 200


# Routes whose path names no id (GET /projects, POST /projects, POST /dependencies, POST /bulk,
# GET /sync/export, POST /sync/import,
# GET /time-entries/running, /activity, /events, /llm/context, health and docs) are not in the
# 404 walk below: they read or write the caller's own tenant only, which has nothing of acme's
# in it (one database per tenant). The walk above proves they need a token; the ids they take in
# a body or a query are checked at the end of the walk and in test_tenant_isolation.py.
@pytest.mark.parametrize("intruder", ["user", "tenant_admin"])
async def test_another_tenants_token_gets_404_on_every_id(
    app: FastAPI, client: httpx.AsyncClient, data_dir: Path, intruder: str
) -> None:
    acme = await seed(client, app)
    before = snapshot(data_dir)
    # Same user id as acme's project admin; even a tenant admin of globex is nobody in acme.
    headers = bearer("globex", "alice") if intruder == "user" else admin_bearer("globex", "alice")
    walked = 0
    for endpoint in endpoints(app):
        if not endpoint.params:
            continue
        for url in acme.urls(endpoint):
            response = await client.request(
                endpoint.method, url, json=acme.body(endpoint), headers=headers
            )
            # 404, not 422: the body was valid, so the answer is about the id.
            assert response.status_code == 404, (endpoint.method, url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "NOT_FOUND"
            walked += 1
    assert walked > 40

    # Ids in a body or a query are "does not exist" as well.
    link = await client.post(
        f"{API}/dependencies",
        json={
            "blocking_item_id": acme.story,
            "blocked_item_id": acme.epic,
            "dependency_type": "blocks",
        },
        headers=headers,
    )
    assert link.status_code == 422
    assert link.json()["field"] == "blocking_item_id"
    for op in (
        {"op": "update", "entity": "work_item", "id": acme.story, "title": "Pwned"},
        {"op": "create", "entity": "comment", "work_item_id": acme.story, "content": "Planted"},
    ):
        bulk = await client.post(f"{API}/bulk", json={"operations": [op]}, headers=headers)
        assert bulk.status_code == 422, bulk.text
        assert (bulk.json()["index"], bulk.json()["operation_code"]) == (0, "NOT_FOUND")
    stream = await client.get(
        f"{API}/events", params={"project_id": acme.ids["project_id"]}, headers=headers
    )
    assert stream.status_code == 404
    for project in (acme.ids["project_id"], "ACME"):
        export = await client.get(
            f"{API}/sync/export", params={"project": project}, headers=headers
        )
        assert (export.status_code, export.json()["code"]) == (404, "NOT_FOUND")
    history = await client.get(
        f"{API}/activity",
        params={"entity_type": "work_item", "entity_id": acme.story},
        headers=headers,
    )
    assert history.json() == {"items": [], "next_cursor": None}

    # Not one write reached acme: every row of every table is as it was.
    assert snapshot(data_dir) == before
    assert (await client.get(f"{API}/projects", headers=headers)).json()["items"] == []


async def handshake(app: FastAPI, headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    """Open /ws over ASGI (as a server supporting denial responses would); what the app sent."""
    incoming: list[dict[str, Any]] = [{"type": "websocket.connect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "http_version": "1.1",
        "path": "/ws",
        "raw_path": b"/ws",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), *headers],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
        "subprotocols": [],
        "state": {},
        "extensions": {"websocket.http.response": {}},
    }
    await app(scope, receive, send)
    return sent


async def test_the_websocket_handshake_needs_a_token(app: FastAPI) -> None:
    """/ws refuses a handshake without a valid token (401, never accepted), over ASGI.

    tests/integration/ws/test_limits.py covers the same against a real server, with every
    kind of bad token.
    """
    assert websocket_paths(app) == ["/ws"]
    for headers in ([], [(b"authorization", b"Bearer not-a-jwt")]):
        sent = await handshake(app, headers)
        assert sent, "the server answered nothing"
        assert sent[0]["type"] == "websocket.http.response.start", sent[0]
        assert sent[0]["status"] == 401
        assert all(m["type"] != "websocket.accept" for m in sent)
    # The same handshake with a valid token is accepted: the refusal above is about the token.
    valid = await handshake(app, [(b"authorization", f"Bearer {token()}".encode())])
    assert valid[0]["type"] == "websocket.accept"

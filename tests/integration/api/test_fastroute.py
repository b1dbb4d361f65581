"""The lean request path (`pm.api.fastroute`): which routes take it, and that it answers as
FastAPI's own path would — same parameters, same validation problems, same OpenAPI."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, Path, Request
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Message

from pm.api.dtos.work_items import CreateWorkItem
from pm.api.fastroute import FastRoute, read_body
from tests.conftest import bearer
from tests.helpers import API, create_project


def _route(app: FastAPI, path: str, method: str) -> FastRoute:
    for route in app.routes:
        if isinstance(route, FastRoute) and route.path == path and method in route.methods:
            return route
    raise AssertionError(f"no route {method} {path}")


async def test_hot_routes_take_the_lean_path_and_query_routes_do_not(app: FastAPI) -> None:
    assert _route(app, f"{API}/work-items/{{id_or_key}}", "GET").fast
    assert _route(app, f"{API}/work-items/{{id_or_key}}", "PATCH").fast
    assert _route(app, f"{API}/projects/{{project_id}}/work-items", "POST").fast
    # Query parameters need FastAPI's validation: those routes keep its handler.
    assert not _route(app, f"{API}/projects/{{project_id}}/work-items", "GET").fast
    assert not _route(app, f"{API}/work-items/{{id_or_key}}", "DELETE").fast


def test_signatures_it_cannot_serve_fall_back_to_fastapi() -> None:
    async def with_query(request: Request, item_id: str, limit: int = 5) -> Response:
        return Response()

    async def returns_a_dict(item_id: str) -> dict[str, str]:
        return {}

    async def plain(request: Request, item_id: str, body: CreateWorkItem) -> Response:
        return Response()

    async def constrained(item_id: Annotated[str, Path(max_length=3)]) -> Response:
        return Response()

    assert not FastRoute("/x/{item_id}", with_query, methods=["GET"]).fast
    assert not FastRoute("/x/{item_id}", returns_a_dict, methods=["GET"]).fast
    assert FastRoute("/x/{item_id}", plain, methods=["POST"]).fast

    async def optional_body(item_id: str, body: CreateWorkItem | None = None) -> Response:
        return Response()

    assert not FastRoute("/x/{item_id}", constrained, methods=["GET"]).fast
    assert not FastRoute("/x/{item_id}", optional_body, methods=["POST"]).fast


async def test_body_problems_name_the_field(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    url = f"{API}/projects/{project['id']}/work-items"
    wrong = await client.post(url, json={"item_type": "saga", "title": ""}, headers=bearer())
    assert wrong.status_code == 422
    problem = wrong.json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert {e["field"] for e in problem["errors"]} == {"item_type", "title"}
    extra = await client.post(
        url, json={"item_type": "story", "title": "t", "x": 1}, headers=bearer()
    )
    assert extra.status_code == 422
    assert extra.json()["field"] == "x"


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"", "application/json", "Field required"),
        (b"{not json", "application/json", "JSON"),
        (b"[1, 2]", "application/json", "object"),
        (b'{"item_type": "story", "title": "t"}', "text/plain", "Content-Type"),
        (b'{"item_type": "story", "title": "t"}', None, "Content-Type"),
    ],
)
async def test_bodies_that_are_not_a_json_object_are_422(
    client: httpx.AsyncClient, content: bytes, content_type: str | None, message: str
) -> None:
    project = await create_project(client, bearer())
    headers = bearer()
    if content_type is not None:
        headers["content-type"] = content_type
    response = await client.post(
        f"{API}/projects/{project['id']}/work-items", content=content, headers=headers
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert problem["field"] == "body"
    assert message.lower() in problem["detail"].lower()
    listed = await client.get(f"{API}/projects/{project['id']}/work-items", headers=bearer())
    assert listed.json()["items"] == []


async def test_json_with_a_charset_or_a_json_suffix_is_accepted(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    url = f"{API}/projects/{project['id']}/work-items"
    body = b'{"item_type": "story", "title": "t"}'
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        headers = {**bearer(), "content-type": content_type}
        response = await client.post(url, content=body, headers=headers)
        assert response.status_code == 201, response.text


async def test_the_openapi_operation_still_declares_the_body(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"][f"{API}/projects/{{project_id}}/work-items"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/CreateWorkItem"}
    assert [p["name"] for p in operation["parameters"]] == ["project_id"]


def _request(*messages: Message) -> Request:
    queue = list(messages)

    async def receive() -> Message:
        return queue.pop(0)

    return Request({"type": "http", "method": "POST", "headers": []}, receive)


async def test_a_body_in_several_messages_is_read_whole_and_kept() -> None:
    request = _request(
        {"type": "http.request", "body": b'{"a":', "more_body": True},
        {"type": "http.request", "body": b"1}", "more_body": False},
    )
    assert await read_body(request) == b'{"a":1}'
    assert await request.body() == b'{"a":1}'  # Starlette finds it: nothing is read twice


async def test_a_client_gone_before_the_body_ended_is_a_disconnect() -> None:
    request = _request(
        {"type": "http.request", "body": b'{"a":', "more_body": True},
        {"type": "http.disconnect"},
    )
    with pytest.raises(ClientDisconnect):
        await read_body(request)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{API}/work-items/PONE-1"),
        ("PATCH", f"{API}/work-items/abc"),
        ("DELETE", f"{API}/projects/p1/work-items"),
        ("POST", f"{API}/projects/p1/work-items"),
        ("HEAD", f"{API}/projects"),
        ("GET", f"{API}/work-items/a/b"),
        ("GET", "/health"),
    ],
)
def test_route_matching_agrees_with_starlette(app: FastAPI, method: str, path: str) -> None:
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    for route in app.routes:
        if isinstance(route, FastRoute):
            ours = route.matches(dict(scope))
            theirs = Route.matches(route, dict(scope))
            assert ours[0] == theirs[0], route.path
            if theirs[0] is not Match.NONE:
                assert ours[1]["path_params"] == theirs[1]["path_params"]
                assert ours[1]["endpoint"] is theirs[1]["endpoint"]
            # FastAPI's own override (which FastRoute replaces) gives the very same answer
            # for a flat route: if a FastAPI release adds to it, this fails.
            assert ours == APIRoute.matches(route, dict(scope)), route.path

"""The REST API as async calls: one method per operation the clients use, errors as ApiError.

Every identifier argument takes an id or a key: work items by `PONE-42`, projects by
`PONE` (the server resolves both); a body field that needs an item id gets it resolved
here first when a key was given.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from pm.client.config import Connection

API = "/api/v1"
Json = Any  # a decoded JSON value: the REST entities as the server sends them
_ITEM_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,9}-[0-9]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class ApiError(Exception):
    """A request the server refused, or could not be asked (status 0)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, Json]:
        """The error as `{"code", "message", "field"}` (for --json and tool errors)."""
        return {"code": self.code, "message": self.message, "field": self.field}

    def __str__(self) -> str:
        where = f" (field: {self.field})" if self.field else ""
        return f"{self.message}{where}"


def _error_of(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, list):  # a validation error of FastAPI's own shape
            detail = "; ".join(str(d.get("msg", d)) for d in detail if isinstance(d, dict))
        return ApiError(
            response.status_code,
            str(body.get("code") or f"HTTP_{response.status_code}"),
            str(detail or body.get("title") or response.reason_phrase),
            body.get("field") if isinstance(body.get("field"), str) else None,
        )
    return ApiError(
        response.status_code,
        f"HTTP_{response.status_code}",
        f"the server answered {response.status_code} {response.reason_phrase}",
    )


def _clean(values: Mapping[str, Json]) -> dict[str, Json]:
    """Only the values that were given (None means "not given")."""
    return {k: v for k, v in values.items() if v is not None}


def _versioned(fields: Mapping[str, Json], expected_version: int | None) -> dict[str, Json]:
    """An update body: the fields, and the version it expects when one is given."""
    body = dict(fields)
    if expected_version is not None:
        body["expected_version"] = expected_version
    return body


class ApiClient:
    """An authenticated client of one server (use with `async with`)."""

    def __init__(
        self,
        connection: Connection,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """`headers` replace the bearer token's Authorization (e.g. a host platform's session
        cookie, for a server that a host authenticates); without them the token is sent."""
        self.connection = connection
        self._http = httpx.AsyncClient(
            base_url=connection.server + API,
            headers=(
                dict(headers)
                if headers is not None
                else {"Authorization": f"Bearer {connection.token}"}
            ),
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # -- the transport ---------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Json = None,
        params: Mapping[str, Json] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | AsyncIterator[bytes] | None = None,
    ) -> Json:
        """Send one request; the decoded JSON answer (None for 204), or ApiError."""
        try:
            response = await self._http.request(
                method,
                path,
                json=json,
                params=_clean(params or {}),
                headers=headers,
                content=content,
            )
        except httpx.TimeoutException:
            raise ApiError(
                0, "TIMEOUT", f"{self.connection.server} did not answer in time"
            ) from None
        except httpx.TransportError as exc:
            raise ApiError(
                0, "UNREACHABLE", f"cannot reach {self.connection.server} ({exc})"
            ) from None
        if response.status_code >= 400:
            raise _error_of(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                response.status_code, "BAD_RESPONSE", "the server's answer is not JSON"
            ) from None

    async def stream_to(self, path: str, params: Mapping[str, Json], sink: Any) -> int:
        """GET `path` and write the body to `sink` (a binary file) as it arrives; bytes written.

        `sink.progress(n)` is called after each chunk when the sink has it.
        """
        written = 0
        try:
            async with self._http.stream("GET", path, params=_clean(params)) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _error_of(response)
                async for chunk in response.aiter_bytes():
                    sink.write(chunk)
                    written += len(chunk)
                    if hasattr(sink, "progress"):
                        sink.progress(len(chunk))
        except httpx.TransportError as exc:
            raise ApiError(
                0, "UNREACHABLE", f"cannot reach {self.connection.server} ({exc})"
            ) from None
        return written

    # -- identity --------------------------------------------------------------------

    async def item_id(self, id_or_key: str) -> str:
        """The id of a work item given by id or key."""
        if _ITEM_KEY.match(id_or_key):
            item = await self.request("GET", f"/work-items/{id_or_key}")
            return str(item["id"])
        return id_or_key

    async def project_id(self, id_or_key: str) -> str:
        """The id of a project given by id or key (keys match case-insensitively)."""
        if _UUID.match(id_or_key):
            return id_or_key
        try:
            return str((await self.request("GET", f"/projects/{id_or_key}"))["id"])
        except ApiError as exc:
            if exc.status != 404:
                raise
        for project in await self.list_projects(limit=10_000):
            if str(project["key"]).upper() == id_or_key.upper():
                return str(project["id"])
        raise ApiError(404, "NOT_FOUND", f"no project {id_or_key!r} that you can see")

    # -- projects --------------------------------------------------------------------

    async def list_projects(self, limit: int = 200) -> list[Json]:
        """Every project the caller may see."""
        return await self._all("/projects", {}, limit)

    async def get_project(self, id_or_key: str) -> Json:
        """One project."""
        if not _UUID.match(id_or_key):
            id_or_key = await self.project_id(id_or_key)
        return await self.request("GET", f"/projects/{id_or_key}")

    async def create_project(self, key: str, title: str, description: str | None) -> Json:
        """A new project (the caller becomes its admin)."""
        body = _clean({"key": key, "title": title, "description": description})
        return await self.request("POST", "/projects", json=body)

    # -- work items ------------------------------------------------------------------

    async def list_items(
        self, project: str, filters: Mapping[str, Json], limit: int = 50
    ) -> list[Json]:
        """Up to `limit` of a project's work items matching `filters`."""
        project = await self.project_id(project)
        return await self._all(f"/projects/{project}/work-items", filters, limit)

    async def get_item(self, id_or_key: str) -> Json:
        """One work item with its ancestors and descendants."""
        return await self.request("GET", f"/work-items/{id_or_key}")

    async def create_item(self, project: str, fields: Mapping[str, Json]) -> Json:
        """A new epic, story or task."""
        project = await self.project_id(project)
        return await self.request("POST", f"/projects/{project}/work-items", json=_clean(fields))

    async def update_item(
        self, id_or_key: str, fields: Mapping[str, Json], expected_version: int | None = None
    ) -> Json:
        """Change fields of a work item (a present None clears the field)."""
        body = _versioned(fields, expected_version)
        return await self.request("PATCH", f"/work-items/{id_or_key}", json=body)

    async def delete_item(self, id_or_key: str, expected_version: int | None = None) -> None:
        """Delete a work item and everything below it."""
        await self.request(
            "DELETE", f"/work-items/{id_or_key}", params={"expected_version": expected_version}
        )

    # -- sprints ---------------------------------------------------------------------

    async def list_sprints(self, project: str) -> list[Json]:
        """A project's sprints."""
        project = await self.project_id(project)
        return list(await self.request("GET", f"/projects/{project}/sprints"))

    async def create_sprint(self, project: str, fields: Mapping[str, Json]) -> Json:
        """A new (planned) sprint."""
        project = await self.project_id(project)
        return await self.request("POST", f"/projects/{project}/sprints", json=_clean(fields))

    async def update_sprint(
        self, sprint_id: str, fields: Mapping[str, Json], expected_version: int | None = None
    ) -> Json:
        """Change a sprint (status: active starts it, completed completes it)."""
        body = _versioned(fields, expected_version)
        return await self.request("PATCH", f"/sprints/{sprint_id}", json=body)

    # -- comments, time, dependencies ----------------------------------------------

    async def list_comments(self, item: str) -> list[Json]:
        """A work item's comments, oldest first."""
        return await self._all(f"/work-items/{item}/comments", {}, 200)

    async def add_comment(self, item: str, content: str) -> Json:
        """A new comment (markdown)."""
        return await self.request("POST", f"/work-items/{item}/comments", json={"content": content})

    async def start_timer(self, item: str, note: str | None = None) -> Json:
        """Start the caller's timer on an item (stopping the one running, if any)."""
        return await self.request(
            "POST", f"/work-items/{item}/timer/start", json=_clean({"description": note})
        )

    async def running_timer(self) -> Json:
        """The caller's running time entry, or None."""
        return await self.request("GET", "/time-entries/running")

    async def stop_timer(self, entry_id: str) -> Json:
        """Stop a running timer."""
        return await self.request("POST", f"/time-entries/{entry_id}/stop")

    async def list_time_entries(self, item: str) -> Json:
        """A work item's time entries."""
        return await self.request("GET", f"/work-items/{item}/time-entries")

    async def add_dependency(self, blocking: str, kind: str, blocked: str) -> Json:
        """Link two items: `blocking` blocks (or relates to) `blocked`."""
        body = {
            "blocking_item_id": await self.item_id(blocking),
            "blocked_item_id": await self.item_id(blocked),
            "dependency_type": kind,
        }
        return await self.request("POST", "/dependencies", json=body)

    async def list_dependencies(self, item: str) -> Json:
        """An item's links: blocking, blocked and related."""
        return await self.request("GET", f"/work-items/{item}/dependencies")

    async def remove_dependency(self, dependency_id: str) -> None:
        """Remove a link."""
        await self.request("DELETE", f"/dependencies/{dependency_id}")

    async def item_activity(self, item: str, limit: int = 20) -> list[Json]:
        """The newest entries of a work item's activity."""
        page = await self.request("GET", f"/work-items/{item}/activity", params={"limit": limit})
        return list(page["items"])

    # -- for agents ------------------------------------------------------------------

    async def ready(self, project: str, filters: Mapping[str, Json]) -> Json:
        """The project's open, unblocked work, most important first."""
        project = await self.project_id(project)
        return await self.request("GET", f"/projects/{project}/ready", params=filters)

    async def snapshot(self, project: str, fmt: str = "markdown", max_tokens: int = 4000) -> Json:
        """The project's state trimmed to a token budget (markdown text or JSON)."""
        project = await self.project_id(project)
        params = {"format": fmt, "max_tokens": max_tokens}
        if fmt == "markdown":
            return await self._text(f"/projects/{project}/snapshot", params)
        return await self.request("GET", f"/projects/{project}/snapshot", params=params)

    async def bulk(self, operations: list[Json], dry_run: bool) -> Json:
        """Apply operations atomically (or check them only, with dry_run)."""
        return await self.request(
            "POST", "/bulk", json={"dry_run": dry_run, "operations": operations}
        )

    async def llm_context(self, filters: Mapping[str, Json]) -> Json:
        """The schema, query patterns and rules documented for agents."""
        return await self.request("GET", "/llm/context", params=filters)

    async def import_file(
        self, content: AsyncIterator[bytes], mode: str, dry_run: bool, size: int
    ) -> Json:
        """Upload an export document; the per-entity counts."""
        params = {"mode": mode, "dry_run": str(dry_run).lower()}
        headers = {"Content-Type": "application/json", "Content-Length": str(size)}
        return await self.request(
            "POST", "/sync/import", params=params, headers=headers, content=content
        )

    # -- helpers ---------------------------------------------------------------------

    async def _all(self, path: str, filters: Mapping[str, Json], limit: int) -> list[Json]:
        """Follow cursors until `limit` items are collected or the list ends."""
        items: list[Json] = []
        cursor: str | None = None
        while len(items) < limit:
            params = {**filters, "limit": min(200, limit - len(items)), "cursor": cursor}
            page = await self.request("GET", path, params=params)
            if isinstance(page, list):  # an unpaginated list
                return page[:limit]
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return items

    async def _text(self, path: str, params: Mapping[str, Json]) -> str:
        try:
            response = await self._http.get(path, params=_clean(params))
        except httpx.TransportError as exc:
            raise ApiError(
                0, "UNREACHABLE", f"cannot reach {self.connection.server} ({exc})"
            ) from None
        if response.status_code >= 400:
            raise _error_of(response)
        return response.text

"""`pm-server tenant copy`: a tenant moves from its SQLite file to a PostgreSQL schema whole."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from pm.server.app import create_app
from pm.server.cli import cli
from pm.server.settings import Settings
from tests.conftest import bearer, drop_tenant_schemas
from tests.helpers import API

pytestmark = pytest.mark.postgres


async def _client_calls(settings: Settings, calls: list[tuple[str, str, object]]) -> list[object]:
    app = create_app(settings)
    out: list[object] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for method, path, body in calls:
                response = await client.request(method, API + path, json=body, headers=bearer())
                out.append((response.status_code, response.json()))
    return out


def test_a_tenant_copied_to_postgres_reads_and_continues_the_same(
    settings: Settings, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_path = "/projects"
    (project,) = asyncio.run(
        _client_calls(settings, [("POST", project_path, {"key": "PONE", "title": "P"})])
    )
    pid = project[1]["id"]  # type: ignore[index]
    created_first, _, changed, before = asyncio.run(
        _client_calls(
            settings,
            [
                ("POST", f"/projects/{pid}/work-items", {"item_type": "story", "title": "Moved"}),
                ("PATCH", "/work-items/PONE-1", {"status": "in_progress"}),
                ("GET", "/work-items/PONE-1", None),
                ("GET", f"/events?since_seq=0&project_id={pid}", None),
            ],
        )
    )
    monkeypatch.setenv("DB_PATH", str(settings.db_path))
    copy = ["tenant", "copy", "--from", "sqlite:acme", "--to", pg_url]
    try:
        result = CliRunner().invoke(cli, copy)
        assert result.exit_code == 0, result.output
        assert "tenant acme copied to PostgreSQL" in result.output
        again = CliRunner().invoke(cli, copy)
        assert again.exit_code == 2
        assert "already has data" in again.output
        on_pg = settings.model_copy(update={"database_url": SecretStr(pg_url)})
        got, events, created = asyncio.run(
            _client_calls(
                on_pg,
                [
                    ("GET", "/work-items/PONE-1", None),
                    ("GET", f"/events?since_seq=0&project_id={pid}", None),
                    ("POST", f"/projects/{pid}/work-items", {"item_type": "task", "title": "t"}),
                ],
            )
        )
        assert created_first[0] == 201  # type: ignore[index]
        assert got == changed
        assert events == before
        assert created[0] == 201  # type: ignore[index]
        assert created[1]["key"] == "PONE-2"  # type: ignore[index]
    finally:
        drop_tenant_schemas(pg_url)


def test_copy_names_what_is_wrong(tmp_path: object) -> None:
    result = CliRunner().invoke(
        cli, ["tenant", "copy", "--from", "sqlite:nobody", "--to", "postgresql://x@127.0.0.1/x"]
    )
    assert result.exit_code == 2
    assert "no SQLite database" in result.output

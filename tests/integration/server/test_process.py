"""A real pm-server process, driven over HTTP."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import jwt

from tests.conftest import SECRET, token
from tests.live import SERVER, running


def test_server_process_end_to_end(data_dir: Path) -> None:
    with running(data_dir, SECRET) as server:
        headers = {"Authorization": f"Bearer {token('acme', 'alice')}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
            project = http.post("/api/v1/projects", json={"key": "LIVE", "title": "Live"})
            assert project.status_code == 201
            pid = project.json()["id"]
            item = http.post(
                f"/api/v1/projects/{pid}/work-items",
                json={"item_type": "story", "title": "Over the wire"},
            )
            assert item.status_code == 201
            assert item.headers["x-request-id"]
            got = http.get("/api/v1/work-items/LIVE-1")
            assert got.json()["title"] == "Over the wire"
            assert http.get("/ready").json()["status"] == "ok"
            assert http.get("/openapi.json").json()["info"]["title"].startswith("pm")
            assert http.get("/docs").status_code == 200
    assert (data_dir / "tenants" / "acme" / "main.db").exists()


def test_generated_secret_is_private_and_reused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"DB_PATH": str(data), "PATH": ""}
    first = subprocess.run(
        [str(SERVER), "token", "--tenant", "t1", "--user", "u"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    second = subprocess.run(
        [str(SERVER), "token", "--tenant", "t1", "--user", "u"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    secret_file = data / "jwt_secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    key = secret_file.read_text().strip()
    for output in (first.stdout, second.stdout):
        claims = jwt.decode(output.strip(), key, algorithms=["HS256"])
        assert (claims["sub"], claims["tenant_id"]) == ("u", "t1")


def test_bad_setting_stops_startup_naming_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(SERVER), "serve"],
        env={
            "SERVER_PORT": "seventy",
            "DB_PATH": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "SERVER_PORT" in result.stderr


def test_migrate_command_upgrades_every_tenant(data_dir: Path) -> None:
    with running(data_dir, SECRET) as server:
        for tenant in ("one", "two"):
            httpx.get(
                f"{server.url}/api/v1/projects",
                headers={"Authorization": f"Bearer {token(tenant)}"},
                timeout=10,
            )
    result = subprocess.run(
        [sys.executable, "-m", "pm.server", "migrate"],
        check=False,
        env={"DB_PATH": str(data_dir)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "2 tenant(s)" in result.stdout

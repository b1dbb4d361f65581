"""The container image, built without Docker: the Dockerfile's steps, then its CMD as its USER."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pm.server.settings import Settings
from tests.image import Builder, Image, ignored, parse, user_of
from tests.live import free_port

ROOT = Path(__file__).resolve().parents[3]


def _uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        pytest.skip("uv is not installed")
    return os.path.realpath(found)


def _python_for(uid: int, gid: int) -> str:
    """A Python 3.11 the image's user may run (ours may sit in root's home)."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is needed to run the image's CMD as its user")
    candidates = [
        os.path.realpath(sys.executable),
        "/usr/local/bin/python3.11",
        "/usr/bin/python3.11",
    ]
    for candidate in candidates:
        if not os.path.exists(candidate):
            continue
        argv = [candidate, "-c", "import sqlite3, ssl, sys; assert sys.version_info[:2] == (3, 11)"]
        if os.geteuid() == 0:
            argv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *argv]
        if subprocess.run(argv, capture_output=True, check=False).returncode == 0:
            return candidate
    pytest.skip(f"no Python 3.11 that uid {uid} may run among {candidates}")


@pytest.fixture(scope="module")
def image() -> Iterator[Image]:
    """The Dockerfile performed under a scratch root (readable by the image's user)."""
    scratch = Path(tempfile.mkdtemp(prefix="pm-image-"))
    scratch.chmod(0o755)
    try:
        uid, gid = user_of(parse(ROOT / "Dockerfile")[-1])
        builder = Builder(ROOT, scratch, _python_for(uid, gid), _uv())
        yield builder.build(ROOT / "Dockerfile")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(image: Image, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        image.as_user(argv), env=env, cwd=image.workdir, capture_output=True, text=True, check=False
    )


def test_the_build_context_leaves_out_data_secrets_and_caches() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line for line in lines if line and not line.startswith("#")]
    for path in (
        ".env",
        "data/jwt_secret",
        "data/tenants/acme/main.db",
        ".venv/bin/python",
        ".git/config",
        "tests/conftest.py",
        "src/pm/__pycache__/app.cpython-311.pyc",
    ):
        assert ignored(patterns, path), path
    for path in ("pyproject.toml", "uv.lock", "README.md", "src/pm/server/app.py"):
        assert not ignored(patterns, path), path


@pytest.mark.slow
@pytest.mark.timeout(600)  # a clean install and a cold start: minutes on a loaded machine
def test_the_image_serves_from_its_own_install_as_its_user(image: Image) -> None:
    assert image.exposed == [Settings.model_fields["server_port"].default]
    assert image.env["DB_PATH"] == str(image.volumes[0])
    assert not (image.root / "app" / "src").exists()  # the runtime stage has no source tree
    port = free_port()
    env = {**image.env, "SERVER_PORT": str(port), "SERVER_HOST": "127.0.0.1", "LOG_LEVEL": "info"}
    server = subprocess.Popen(
        image.as_user(image.cmd),
        env=env,
        cwd=image.workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(image, env, server)
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{url}/live", timeout=5).json() == {"status": "ok"}
        # A write creates and migrates a tenant database on the volume, with a JWT secret
        # generated there: the migrations ship in the install and the volume is writable.
        minted = _run(image, ["pm-server", "token", "--tenant", "acme", "--user", "alice"], env)
        assert minted.returncode == 0, minted.stderr
        headers = {"Authorization": f"Bearer {minted.stdout.strip()}"}
        created = httpx.post(
            f"{url}/api/v1/projects", json={"key": "IMG", "title": "Image"}, headers=headers
        )
        assert created.status_code == 201, created.text
        assert httpx.get(f"{url}/ready", timeout=5).json()["status"] == "ok"
        assert (image.volumes[0] / "tenants" / "acme" / "main.db").stat().st_uid == image.uid
    finally:
        server.send_signal(signal.SIGTERM)  # what `docker stop` sends to the exec-form CMD
        try:
            output = server.communicate(timeout=15)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
            raise
    # uvicorn stops gracefully, then re-raises the signal (Docker reports 143).
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output, output


def _wait_healthy(image: Image, env: dict[str, str], server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60  # generous: a loaded machine starts slowly
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = server.communicate()[0].decode(errors="replace")
            raise AssertionError(f"the server exited with {server.returncode}:\n{output}")
        if _run(image, image.healthcheck, env).returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError("the HEALTHCHECK never passed")

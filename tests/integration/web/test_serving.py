"""The web board's files: served at `/` and `/assets/*` with the right cache headers."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

import httpx
import jwt

from pm.server import board
from tests.conftest import SECRET

JS_BUDGET = 200 * 1024  # the first load's JavaScript, gzip-compressed


def asset_names(index_html: str) -> list[str]:
    """The assets the page loads, in the order index.html names them."""
    return re.findall(r'(?:src|href)="/assets/([^"]+)"', index_html)


async def test_the_page_is_revalidated_on_every_load(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<div id="app">' in page.text
    again = await client.get("/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_hashed_assets_are_immutable_and_compressed(client: httpx.AsyncClient) -> None:
    names = asset_names((await client.get("/")).text)
    assert any(name.endswith(".js") for name in names)
    assert any(name.endswith(".css") for name in names)
    for name in names:
        plain = await client.get(f"/assets/{name}", headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200, name
        assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "content-encoding" not in plain.headers
        packed = await client.get(f"/assets/{name}", headers={"Accept-Encoding": "gzip"})
        assert packed.headers["content-encoding"] == "gzip"
        assert packed.headers["vary"] == "Accept-Encoding"
        assert packed.content == plain.content  # httpx decodes it: the same file
        assert (board.BUILD_DIR / "assets" / name).read_bytes() == plain.content
    js = await client.get(f"/assets/{next(n for n in names if n.endswith('.js'))}")
    assert js.headers["content-type"].startswith(("text/javascript", "application/javascript"))


async def test_unknown_assets_and_paths_are_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/assets/nothing-here.js")).status_code == 404
    assert (await client.get("/assets/../pyproject.toml")).status_code == 404
    assert (await client.get("/index.html.bak")).status_code == 404


async def test_the_api_still_answers_before_the_board(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/projects")).status_code == 401  # not the page
    assert (await client.get("/health")).json()["status"] == "ok"
    paths = [getattr(route, "path", "") for route in client._transport.app.router.routes]  # type: ignore[attr-defined]
    assert paths[-2:] == ["/", "/assets/{name:path}"]


def test_the_first_load_stays_under_200_kb_of_compressed_javascript() -> None:
    index = (board.BUILD_DIR / "index.html").read_text()
    pending = [name for name in asset_names(index) if name.endswith(".js")]
    assert pending
    loaded: set[str] = set()
    while pending:  # the entry and every chunk it imports statically (not `import(...)`)
        name = pending.pop()
        if name not in loaded:
            loaded.add(name)
            source = (board.BUILD_DIR / "assets" / name).read_text()
            pending += re.findall(r'(?:from|import)\s*"\./([\w.-]+\.js)"', source)
    assets = board.BUILD_DIR / "assets"
    total = sum(len(gzip.compress((assets / name).read_bytes(), 9)) for name in loaded)
    assert total < JS_BUDGET, f"{total} bytes of compressed JavaScript: {sorted(loaded)}"


def test_a_missing_build_serves_no_board(tmp_path: Path) -> None:
    assert board.routes(tmp_path) == []


def test_the_sign_in_link_carries_the_token_in_the_fragment_only(tmp_path: Path) -> None:
    env = {"DB_PATH": str(tmp_path), "JWT_SECRET": SECRET, "SERVER_PORT": "3456", "PATH": ""}
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "pm-server"),
            "token",
            "--tenant",
            "local",
            "--user",
            "dev",
            "--link",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    base, _, fragment = out.partition("#token=")
    assert base == "http://localhost:3456/"
    claims = jwt.decode(fragment, SECRET, algorithms=["HS256"])
    assert (claims["tenant_id"], claims["sub"]) == ("local", "dev")
    assert board.sign_in_link("::1", 3000, "t") == "http://[::1]:3000/#token=t"
    assert board.sign_in_link("127.0.0.1", 80, "t") == "http://127.0.0.1:80/#token=t"

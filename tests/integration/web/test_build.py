"""The committed board build and generated protobuf code match `web/`'s sources.

The built files are committed (so `make run` needs no Node); this test rebuilds them from
the npm lock into a temporary folder and compares byte for byte. It needs Node and npm.
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
WEB = ROOT / "web"
BUILT = ROOT / "src" / "pm" / "server" / "web"

pytestmark = [
    pytest.mark.skipif(shutil.which("npm") is None, reason="needs Node and npm (see make web)"),
    pytest.mark.timeout(300),
    pytest.mark.xdist_group("web-build"),  # one npm ci at a time
]


def npm(*args: str) -> None:
    subprocess.run(["npm", *args], cwd=WEB, check=True, capture_output=True, timeout=280)


def ensure_node_modules() -> None:
    """`npm ci` once, unless node_modules already holds what the lock names."""
    marker = WEB / "node_modules" / ".package-lock.json"
    lock = WEB / "package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        npm("ci", "--no-audit", "--no-fund")


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_committed_build_is_what_the_sources_build(tmp_path: Path) -> None:
    ensure_node_modules()
    out = tmp_path / "web"
    subprocess.run(
        ["npx", "vite", "build", "--outDir", str(out), "--emptyOutDir", "--logLevel", "warn"],
        cwd=WEB,
        check=True,
        capture_output=True,
        timeout=280,
    )
    built, committed = tree(out), tree(BUILT)
    assert sorted(built) == sorted(committed), "run `make web` and commit src/pm/server/web"
    changed = [name for name in built if built[name] != committed[name]]
    assert not changed, f"run `make web` and commit src/pm/server/web: {changed}"


def test_the_generated_protobuf_code_is_current(tmp_path: Path) -> None:
    ensure_node_modules()
    subprocess.run(
        ["npx", "buf", "generate", "../proto", "--template", "buf.gen.yaml", "-o", str(tmp_path)],
        cwd=WEB,
        check=True,
        capture_output=True,
        timeout=280,
    )
    fresh = tmp_path / "src" / "gen" / "messages_pb.ts"
    assert filecmp.cmp(fresh, WEB / "src" / "gen" / "messages_pb.ts", shallow=False), (
        "proto/messages.proto changed: run `make web` and commit web/src/gen"
    )

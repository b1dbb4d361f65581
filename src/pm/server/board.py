"""The web board: `/` and `/assets/*`, the front end built from `web/` into `pm/server/web/`.

The files are read once, when the app is built, and kept in memory with a gzip copy of the
compressible ones, so a request costs a dictionary lookup. The hashed assets never change
under their name (`immutable`); `index.html` names the current ones, so it is revalidated on
every load (`no-cache` + ETag). The routes go after the API's: they never slow it down.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

BUILD_DIR = Path(__file__).parent / "web"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = frozenset({".html", ".js", ".css", ".svg", ".json", ".txt", ".map"})
# The page talks only to its own origin; nothing inline, nothing framed.
CSP = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
_log = logging.getLogger("pm.server")


def sign_in_link(host: str, port: int, token: str) -> str:
    """The board's URL with the token in the fragment, which browsers never send to a server."""
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/#token={token}"


@dataclass(frozen=True, slots=True)
class StaticFile:
    """One built file, ready to send: the bytes, their gzip form (if smaller) and headers."""

    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str
    cache_control: str

    def response(self, request: Request) -> Response:
        """The file, compressed when the client accepts it; 304 when its ETag still matches."""
        headers = {
            "Cache-Control": self.cache_control,
            "ETag": self.etag,
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
        }
        if self.media_type.startswith("text/html"):
            headers["Content-Security-Policy"] = CSP
            headers["Referrer-Policy"] = "no-referrer"
        if self.etag in _etags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=headers)
        body = self.body
        if self.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            body = self.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, headers=headers, media_type=self.media_type)  # HEAD: no body sent


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def load(build_dir: Path, name: str, cache_control: str) -> StaticFile:
    """Read one built file and prepare its compressed form."""
    path = build_dir / name
    body = path.read_bytes()
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type == "application/javascript":
        media_type += "; charset=utf-8"
    gzipped = None
    if path.suffix in COMPRESSIBLE:
        packed = gzip.compress(body, compresslevel=9, mtime=0)
        gzipped = packed if len(packed) < len(body) else None
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    return StaticFile(body, gzipped, media_type, etag, cache_control)


@functools.cache
def _files(build_dir: Path) -> tuple[StaticFile, dict[str, StaticFile]] | None:
    """The built files, read once per process (an app is built per test, the files never change)."""
    if not (build_dir / "index.html").is_file():
        return None
    index = load(build_dir, "index.html", REVALIDATE)
    assets = {
        path.name: load(build_dir / "assets", path.name, IMMUTABLE)
        for path in sorted((build_dir / "assets").glob("*"))
        if path.is_file()
    }
    return index, assets


def routes(build_dir: Path = BUILD_DIR) -> list[BaseRoute]:
    """The board's routes; none (with a warning) when the front end has not been built."""
    files = _files(build_dir)
    if files is None:
        _log.warning("the web board is not built (%s missing): run `make web`", build_dir)
        return []
    index, assets = files

    async def serve_index(request: Request) -> Response:
        return index.response(request)

    async def serve_asset(request: Request) -> Response:
        found = assets.get(request.path_params["name"])
        if found is None:
            return Response("not found\n", status_code=404, media_type="text/plain")
        return found.response(request)

    return [
        Route("/", serve_index, methods=["GET", "HEAD"], include_in_schema=False),
        Route("/assets/{name:path}", serve_asset, methods=["GET", "HEAD"], include_in_schema=False),
    ]

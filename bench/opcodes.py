"""Python opcodes executed per request: deterministic, so a 1 % change shows under any load.

    uv run python -m bench.opcodes get|post|patch [--requests 300]

Builds two apps in one process, ours and the same with FastAPI's stock middleware stack
instead of `pm.api.stack.LeanFastAPI`, drives each straight through ASGI (no client, no
sockets) and counts the bytecode instructions the event loop's thread executes per request
(`sys.settrace` with opcode events, switched on around the measured requests only). C code
(sqlite3, pydantic-core, orjson) is not counted, so this shows the Python layers; the
machine's load changes how long it takes, not the count. Group commit's timers make POST
and PATCH counts vary by well under 1 % from run to run.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType
from typing import Any

import orjson

SCENARIOS = ("get", "post", "patch")
WARM_UP = 50


async def _call(app: Any, method: str, path: str, token: str, body: bytes = b"") -> bytes:
    """One request straight through the ASGI app; the response body (2xx asserted)."""
    headers = [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    if not 200 <= answer["status"] < 300:
        raise RuntimeError(f"{method} {path}: {answer['status']} {answer['body']!r}")
    return bytes(answer["body"])


class _Counter:
    """Counts opcode events of every frame while installed."""

    def __init__(self) -> None:
        self.opcodes = 0

    def _global(self, frame: FrameType, event: str, arg: object) -> Any:
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return self._local

    def _local(self, frame: FrameType, event: str, arg: object) -> Any:
        if event == "opcode":
            self.opcodes += 1
        return self._local

    async def count(self, run: Callable[[], Awaitable[None]]) -> int:
        """Opcodes executed by `run()` (and everything it awaits on this thread)."""
        before = self.opcodes
        sys.settrace(self._global)
        try:
            await run()
        finally:
            sys.settrace(None)
        return self.opcodes - before


def _stock(factory: Any) -> Any:
    """The app factory's FastAPI class swapped for FastAPI itself (its own stack)."""
    from fastapi import FastAPI

    class Stock(FastAPI):
        def __init__(self, *, exception_telemetry: bool = False, **kwargs: Any) -> None:
            super().__init__(**kwargs)

    return Stock


async def _scenario(app: Any, scenario: str, bearer: str) -> Callable[[int], Awaitable[None]]:
    """Seed `app`; a function sending n requests of the scenario."""
    project_body = b'{"key":"OPS","title":"Counted"}'
    project = orjson.loads(await _call(app, "POST", "/api/v1/projects", bearer, project_body))
    items = f"/api/v1/projects/{project['id']}/work-items"
    created = b'{"item_type":"story","title":"A story created by the benchmark"}'
    item = (
        f"/api/v1/work-items/{orjson.loads(await _call(app, 'POST', items, bearer, created))['id']}"
    )
    sent = 0

    async def requests(n: int) -> None:
        nonlocal sent
        for _ in range(n):
            sent += 1
            if scenario == "get":
                await _call(app, "GET", item, bearer)
            elif scenario == "post":
                await _call(app, "POST", items, bearer, created)
            else:
                body = b'{"priority":"%s"}' % (b"high" if sent % 2 else b"low")
                await _call(app, "PATCH", item, bearer, body)

    return requests


async def _measure(scenario: str, n: int) -> dict[str, float]:
    from bench.servers import SECRET, token
    from pm.server import app as factory
    from pm.server.settings import Settings

    limit = 1_000_000_000
    counter = _Counter()
    results = {}
    lean = vars(factory)["LeanFastAPI"]
    for label, cls in (("LeanFastAPI", lean), ("stock FastAPI stack", _stock(factory))):
        with tempfile.TemporaryDirectory() as data:
            settings = Settings(
                db_path=Path(data),
                jwt_secret=SECRET,
                log_level="warning",
                rate_limit_user_per_second=limit,
                rate_limit_user_burst=limit,
                rate_limit_tenant_per_second=limit,
                rate_limit_tenant_burst=limit,
            )
            names = vars(factory)  # the class create_app builds, swapped for this one app
            names["LeanFastAPI"] = cls
            try:
                app = factory.create_app(settings)
            finally:
                names["LeanFastAPI"] = lean
            async with app.router.lifespan_context(app):
                requests = await _scenario(app, scenario, token("bench"))
                await requests(WARM_UP)
                results[label] = await counter.count(functools.partial(requests, n)) / n
    return results


def main() -> None:
    """Print opcodes per request of the scenario, with and without LeanFastAPI."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    results = asyncio.run(_measure(args.scenario, args.requests))
    lean = results["LeanFastAPI"]
    for label, opcodes in results.items():
        print(f"{args.scenario} {label}: {opcodes:,.0f} opcodes per request ({opcodes / lean:.3f})")


if __name__ == "__main__":
    main()

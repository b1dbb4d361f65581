"""The denominators: a bare FastAPI app and a bare Starlette WebSocket fan-out.

Both are served by uvicorn with exactly the options `pm-server serve` passes (see
`uvicorn_options`), answer with bodies of the sizes our server's answers have (passed in the
BENCH_BASELINE environment variable as JSON), and do nothing else: no auth, no database.

`python -m bench.baseline_app http|ws --port P`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import FastAPI, Request
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from pm.proto import messages_pb2 as pb

JSON = "application/json"
BASELINE_HEADER = "x-bench-baseline"  # on /health: the harness checks who answers


def payload(size: int) -> bytes:
    """A JSON object of exactly `size` bytes (at least 12)."""
    return b'{"pad":"' + b"x" * max(0, size - 10) + b'"}'


def create_http_app(sizes: dict[str, int]) -> FastAPI:
    """Bare endpoints shaped like ours (same paths, methods, statuses and body sizes)."""
    app = FastAPI()
    get_body, post_body = payload(sizes.get("get", 800)), payload(sizes.get("post", 700))
    patch_body, list_body = payload(sizes.get("patch", 700)), payload(sizes.get("list", 30_000))

    @app.get("/health")
    async def health() -> Response:
        return Response(b'{"status":"ok"}', media_type=JSON, headers={BASELINE_HEADER: "1"})

    @app.get("/api/v1/work-items/{item_id}")
    async def get_item(item_id: str) -> Response:
        return Response(get_body, media_type=JSON)

    @app.post("/api/v1/projects/{project_id}/work-items")
    async def create_item(project_id: str, request: Request) -> Response:
        await request.body()
        return Response(post_body, 201, media_type=JSON)

    @app.patch("/api/v1/work-items/{item_id}")
    async def patch_item(item_id: str, request: Request) -> Response:
        await request.body()
        return Response(patch_body, media_type=JSON)

    @app.get("/api/v1/projects/{project_id}/work-items")
    async def list_items(project_id: str) -> Response:
        return Response(list_body, media_type=JSON)

    return app


def event_frame(seq: int, project_id: str, title: str) -> bytes:
    """A `work_item_created` event frame as our server would send it (same fields, sizes)."""
    now = int(time.time())
    item = pb.WorkItem(
        id=str(uuid.uuid4()),
        item_type=pb.WORK_ITEM_TYPE_STORY,
        project_id=project_id,
        position=seq,
        title=title,
        status="backlog",
        created_at=now,
        updated_at=now,
        created_by="driver",
        updated_by="driver",
        priority="medium",
        version=1,
        item_number=seq,
    )
    header = pb.WebSocketMessage(message_id=f"e{seq}", timestamp=now, seq=seq)
    body = pb.WebSocketMessage(work_item_created=pb.WorkItemCreated(work_item=item, user_id="d"))
    return header.SerializeToString() + body.SerializeToString()


class Broadcaster:
    """Every connected client gets every frame, in order, from one sending task."""

    def __init__(self) -> None:
        self.clients: set[WebSocket] = set()
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.seq = 0
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Send each queued frame to every client."""
        while True:
            frame = await self.queue.get()
            for ws in list(self.clients):
                try:
                    await ws.send_bytes(frame)
                except (WebSocketDisconnect, RuntimeError, OSError):
                    self.clients.discard(ws)


def create_ws_app(sizes: dict[str, int]) -> Starlette:
    """A bare WebSocket endpoint plus the same create route, which broadcasts one frame."""
    hub = Broadcaster()
    post_body = payload(sizes.get("post", 700))

    async def health(request: StarletteRequest) -> Response:
        return Response(b'{"status":"ok"}', media_type=JSON, headers={BASELINE_HEADER: "1"})

    async def create_item(request: StarletteRequest) -> Response:
        body = orjson.loads(await request.body())
        hub.seq += 1
        hub.queue.put_nowait(event_frame(hub.seq, request.path_params["project_id"], body["title"]))
        return Response(post_body, 201, media_type=JSON)

    async def endpoint(ws: WebSocket) -> None:
        await ws.accept()
        hub.clients.add(ws)
        if hub.task is None:
            hub.task = asyncio.get_running_loop().create_task(hub.run())
        try:
            while True:
                message = pb.WebSocketMessage.FromString(await ws.receive_bytes())
                reply = pb.WebSocketMessage(
                    message_id=message.message_id,
                    subscription_confirmed=pb.SubscriptionConfirmed(
                        project_ids=message.subscribe.project_ids, current_seq=hub.seq
                    ),
                )
                await ws.send_bytes(reply.SerializeToString())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            hub.clients.discard(ws)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        if hub.task is not None:
            hub.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hub.task

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/health", health),
            Route("/api/v1/projects/{project_id}/work-items", create_item, methods=["POST"]),
            WebSocketRoute("/ws", endpoint),
        ],
    )


def main() -> None:
    """Serve one of the baselines through `pm-server serve`'s own uvicorn configuration.

    `pm.server.serving.uvicorn_config` is wrapped so that the app it configures is the
    baseline instead of ours, while every uvicorn option stays exactly what `serve` sets
    (they can never drift apart); the options used are written to the file named by
    BENCH_OPTIONS_OUT. (Until 2026-12-02 this wrapped `uvicorn.run`, which `serve` had
    stopped calling: the "baseline" was our own server, and every ratio measured against
    it was 1 by construction.)
    """
    from pm.server import cli, serving

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["http", "ws"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    sizes = json.loads(os.environ.get("BENCH_BASELINE", "{}"))
    app = create_http_app(sizes) if args.kind == "http" else create_ws_app(sizes)
    real_config = serving.uvicorn_config

    def baseline_config(settings: Any) -> Any:
        config = real_config(settings)
        config.app = app
        out = os.environ.get("BENCH_OPTIONS_OUT")
        if out:
            with open(out, "w") as f:
                json.dump(
                    {
                        k: v if isinstance(v, int | float | str | bool | None) else repr(v)
                        for k, v in vars(config).items()
                        if k != "app"
                    },
                    f,
                )
        return config

    serving.uvicorn_config = baseline_config  # ours is built (not started): its options count
    cli.serve(env_file=None, host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()

"""The application's middleware stack: FastAPI's, without the layers this server never uses.

FastAPI wraps every request in six layers before the router. Two of them only pass the
request on here: the app-wide body limit (this server has its own, in
`RequestContextMiddleware`; FastAPI's `max_body_size` is never set) and the exception
telemetry (only with `OTEL_ENABLED`). A third opens an `AsyncExitStack` per request for
FastAPI's own request handler, which only routes outside `FastRoute`'s plan use (they get
it from `fastroute`). Each layer is an extra coroutine per request (what that costs:
docs/performance.md). The 500 handler, the user middleware and the exception handlers stay
in FastAPI's order. `ExceptionTelemetryMiddleware` comes from FastAPI's private module:
pyproject.toml bounds FastAPI to the versions this was verified with, and
tests/unit/test_fences.py fails if FastAPI's stock stack is no longer the one reduced here.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp


class LeanFastAPI(FastAPI):
    """FastAPI with `build_middleware_stack` reduced to the layers in use."""

    def __init__(self, *, exception_telemetry: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.exception_telemetry = exception_telemetry

    def build_middleware_stack(self) -> ASGIApp:
        """ServerError → [exception telemetry] → user middleware → exception handlers → routes."""
        if self.max_body_size is not None:
            raise ValueError("this app limits bodies in its own middleware, not max_body_size")
        error_handler = None
        handlers: dict[Any, Any] = {}
        for key, value in self.exception_handlers.items():
            if key in (500, Exception):
                error_handler = value
            else:
                handlers[key] = value
        app: ASGIApp = ExceptionMiddleware(self.router, handlers=handlers, debug=self.debug)
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        if self.exception_telemetry:
            app = ExceptionTelemetryMiddleware(app)
        return ServerErrorMiddleware(app, handler=error_handler, debug=self.debug)

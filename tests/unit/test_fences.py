"""The FastAPI internals this server relies on are still the ones it was written against.

`pm.api.fastroute` copies routes option by option and `pm.api.stack` rebuilds FastAPI's
middleware stack without some layers. A FastAPI release that adds a route option or a
middleware layer would otherwise change behaviour silently; these tests fail instead.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi._body_limit import AppBodyLimitMiddleware
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from fastapi.routing import APIRoute
from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from pm.api import errors
from pm.api.fastroute import COPIED_OPTIONS, NOT_COPIED_OPTIONS, FastRoute, mount
from pm.api.stack import LeanFastAPI

ROUTE_OPTIONS = COPIED_OPTIONS | set(NOT_COPIED_OPTIONS)


def _keyword_parameters(function: Any) -> set[str]:
    return {
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


async def _endpoint() -> Response:
    return Response()


def test_every_route_option_is_either_copied_or_deliberately_not() -> None:
    assert COPIED_OPTIONS.isdisjoint(NOT_COPIED_OPTIONS)
    assert _keyword_parameters(APIRoute.__init__) == ROUTE_OPTIONS
    # add_api_route takes the same options (less the provider, which is the router itself).
    assert _keyword_parameters(APIRouter.add_api_route) == (
        ROUTE_OPTIONS - {"dependency_overrides_provider"} | {"route_class_override"}
    )


def test_mounting_keeps_every_copied_option() -> None:
    router = APIRouter(tags=["things"])
    router.add_api_route(
        "/things/{thing_id}",
        _endpoint,
        methods=["PUT"],
        response_model=None,
        status_code=202,
        summary="Put a thing",
        description="Longer words",
        response_description="The thing",
        responses={409: {"description": "stale"}},
        deprecated=True,
        operation_id="put_thing",
        include_in_schema=False,
        name="put-thing",
        openapi_extra={"x-extra": 1},
    )
    target = APIRouter()
    mount(router, target, "/api")
    original, copy = router.routes[0], target.routes[0]
    assert isinstance(original, APIRoute)
    assert isinstance(copy, FastRoute)
    assert copy.path == "/api/things/{thing_id}"
    for option in COPIED_OPTIONS:
        assert getattr(copy, option) == getattr(original, option), option


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("response_model_exclude_none", True),
        ("callbacks", [APIRoute("/hook", _endpoint)]),
        ("max_body_size", 10),
        ("strict_content_type", False),
    ],
)
def test_mounting_refuses_an_option_it_would_drop(option: str, value: object) -> None:
    router = APIRouter()
    router.add_api_route("/things", _endpoint, **{option: value})
    with pytest.raises(ValueError, match=option):
        mount(router, APIRouter(), "")


def test_mounting_refuses_a_route_class_whose_behaviour_would_be_lost() -> None:
    class Special(APIRoute):
        pass

    router = APIRouter(route_class=Special)
    router.add_api_route("/things", _endpoint)
    with pytest.raises(TypeError, match="plain API routes"):
        mount(router, APIRouter(), "")


class _Marker:
    """A user middleware, to see where the stack puts it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _layers(app: FastAPI, stack: ASGIApp) -> list[type]:
    """The middleware classes from the outside in, down to (and checked to end at) the router."""
    layers = []
    while stack is not app.router:
        layers.append(type(stack))
        stack = stack.app  # type: ignore[attr-defined]
    return layers


def _app(exception_telemetry: bool = False) -> LeanFastAPI:
    app = LeanFastAPI(exception_telemetry=exception_telemetry)
    errors.install(app)
    app.add_middleware(_Marker)
    return app


# What FastAPI's own stack is, as LeanFastAPI was written against it: LeanFastAPI leaves out
# the three layers marked, and keeps the others in this order.
STOCK = [
    ServerErrorMiddleware,
    ExceptionTelemetryMiddleware,  # left out unless OTEL_ENABLED
    AppBodyLimitMiddleware,  # left out: RequestContextMiddleware limits bodies
    _Marker,
    ExceptionMiddleware,
    AsyncExitStackMiddleware,  # left out: FastRoute gives FastAPI's handler its exit stack
]


def test_fastapis_stock_middleware_stack_is_the_one_lean_fastapi_reduces() -> None:
    app = _app()
    assert _layers(app, FastAPI.build_middleware_stack(app)) == STOCK


@pytest.mark.parametrize("telemetry", [False, True])
def test_lean_fastapi_keeps_the_other_layers_in_order_with_the_same_handlers(
    telemetry: bool,
) -> None:
    app = _app(exception_telemetry=telemetry)
    left_out = {AppBodyLimitMiddleware, AsyncExitStackMiddleware}
    if not telemetry:
        left_out.add(ExceptionTelemetryMiddleware)
    lean, stock = app.build_middleware_stack(), FastAPI.build_middleware_stack(app)
    assert _layers(app, lean) == [layer for layer in STOCK if layer not in left_out]
    assert isinstance(lean, ServerErrorMiddleware)
    assert isinstance(stock, ServerErrorMiddleware)
    assert lean.handler is stock.handler is not None
    assert _exception_handlers(app, lean) == _exception_handlers(app, stock) != {}


def _exception_handlers(app: FastAPI, stack: ASGIApp) -> dict[Any, Any]:
    while not isinstance(stack, ExceptionMiddleware):
        stack = stack.app  # type: ignore[attr-defined]
    handlers = {**stack._status_handlers, **stack._exception_handlers}
    # The middleware's own default handlers are bound to it: compare their functions.
    return {key: getattr(handler, "__func__", handler) for key, handler in handlers.items()}

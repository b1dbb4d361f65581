"""The FastAPI internals this server relies on are still the ones it was written against.

`pm.api.fastroute` copies routes option by option and `pm.api.stack` rebuilds FastAPI's
middleware stack without some layers. A FastAPI release that adds a route option or a
middleware layer would otherwise change behaviour silently; these tests fail instead.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.responses import Response

from pm.api.fastroute import COPIED_OPTIONS, NOT_COPIED_OPTIONS, FastRoute, mount

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

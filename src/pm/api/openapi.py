"""Additions to the OpenAPI document FastAPI cannot infer: the bearer scheme, the Problem schema."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI

from pm.api.errors import Problem

SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "A JWT with `sub`, `tenant_id` and `exp` claims (see docs/api.md).",
}


def declare_bearer(app: FastAPI, public_paths: Iterable[str]) -> None:
    """Make /openapi.json say that every operation needs the bearer token, except `public_paths`.

    Requests are authenticated by `pm.api.middleware.AuthMiddleware` rather than through a
    FastAPI dependency, so FastAPI cannot infer this itself.
    """
    public = frozenset(public_paths)
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        components = schema.setdefault("components", {})
        if "bearer" not in components.setdefault("securitySchemes", {}):
            components["securitySchemes"]["bearer"] = SCHEME
            for path, operations in schema.get("paths", {}).items():
                if path in public:
                    continue
                for operation in operations.values():
                    operation["security"] = [{"bearer": []}]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_problems(app: FastAPI) -> None:
    """Add the Problem schema, which the routes' error responses refer to, to the OpenAPI."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()  # built once, then cached by FastAPI; the additions are idempotent
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        if "Problem" not in schemas:
            problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(problem_schema.pop("$defs", {}))
            schemas["Problem"] = problem_schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


# Path parameters that take more than an id. Their routes declare them as plain `str` (so
# `pm.api.fastroute` can serve them); the description is added to the document here.
PATH_PARAMETERS = {
    "project_id": "The project's id or its key (`PONE`, any case)",
    "id_or_key": "The work item's id or its key (`PONE-42`, any case)",
}


def describe_path_parameters(app: FastAPI) -> None:
    """Say in the OpenAPI document which path parameters also take a key."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for param in operation.get("parameters", ()):
                    described = PATH_PARAMETERS.get(param["name"])
                    if param["in"] == "path" and described is not None:
                        param["description"] = described
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

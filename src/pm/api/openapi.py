"""The OpenAPI document's security declaration: a bearer JWT on every route but the public ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI

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

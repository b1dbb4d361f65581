"""Request headers read straight from the ASGI scope."""

from __future__ import annotations

from starlette.types import Scope


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header, or None; `name` in lower case (as ASGI gives it).

    `request.headers.get` builds a Headers view and goes through `Mapping.get` and a
    lower-casing scan for every call, and a write reads up to three headers.
    """
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None

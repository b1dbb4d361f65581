"""Reading an import document: streamed to a temporary file, then parsed row by row.

The body is never held in memory whole: it is spooled (to disk past 1 MiB) under
IMPORT_MAX_BYTES, and the parser (ijson) builds one row at a time, each validated as the
entity it names.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import fields
from typing import IO, Any

import ijson
from fastapi import Request
from pydantic import TypeAdapter, ValidationError
from starlette.exceptions import HTTPException

from pm.api.dtos.sync import ROW_TYPES
from pm.core.errors import InvalidInput
from pm.service.sync import FORMAT, SCHEMA_VERSION, SECTIONS

_ENVELOPE = ("format", "schema_version", "exported_at", "exported_by", "tenant_id")
_ROWS: dict[str, TypeAdapter[Any]] = {name: TypeAdapter(ROW_TYPES[name]) for name in SECTIONS}
_FIELDS = {name: frozenset(f.name for f in fields(cls)) for name, cls in ROW_TYPES.items()}
_SCALARS = frozenset({"null", "boolean", "integer", "double", "number", "string"})


async def spool(request: Request, limit: int) -> IO[bytes]:
    """The request body in a temporary file (memory up to 1 MiB), or 413 past `limit`."""
    spooled = tempfile.SpooledTemporaryFile(max_size=1_048_576)  # noqa: SIM115 - returned
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"the import document exceeds the limit of {limit} bytes")
            spooled.write(chunk)
    except BaseException:
        spooled.close()
        raise
    spooled.seek(0)
    return spooled


def rows(document: IO[bytes]) -> Iterator[tuple[str, int, Any]]:
    """(section, index, entity) for every row, in document order; InvalidInput for a bad
    document (not JSON, wrong format or version, an unknown field, a row of a wrong shape)."""
    seen: dict[str, object] = {}
    section, index, builder = "", 0, None
    try:
        for prefix, event, value in ijson.parse(document, use_float=True):
            if builder is not None:
                builder.event(event, value)
                if prefix == f"{section}.item" and event in ("end_map", "end_array"):
                    yield section, index, _entity(section, index, builder.value)
                    index, builder = index + 1, None
                continue
            if prefix == "" and event in _SCALARS | {"start_array"}:
                raise InvalidInput("the document must be a JSON object", field="body")
            if prefix == "" or event == "end_array":
                continue
            name = prefix.split(".", 1)[0]
            if "." not in prefix:
                if name in _ENVELOPE and event in _SCALARS:
                    seen[name] = value
                    _check_envelope(name, value)
                elif name in _ROWS and event == "start_array":
                    _require_envelope(seen)
                    section, index = name, 0
                else:
                    raise InvalidInput(f"unexpected field {name!r}", field=name)
            elif prefix == f"{name}.item" and name == section:
                if event not in ("start_map", "start_array"):
                    yield section, index, _entity(section, index, value)
                    index += 1
                    continue
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
        _require_envelope(seen)
    except ijson.JSONError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInput(f"the body is not valid JSON ({reason})", field="body") from exc


def _check_envelope(name: str, value: object) -> None:
    if name == "format" and value != FORMAT:
        raise InvalidInput(f"format must be {FORMAT!r}, not {value!r}", field="format")
    if name == "schema_version" and value != SCHEMA_VERSION:
        raise InvalidInput(
            f"schema_version {value!r} is not supported (this server reads {SCHEMA_VERSION})",
            field="schema_version",
        )


def _require_envelope(seen: dict[str, object]) -> None:
    for name in ("format", "schema_version"):
        if name not in seen:
            raise InvalidInput(f"the document must begin with {name!r}", field=name)


def _entity(section: str, index: int, raw: object) -> Any:
    if isinstance(raw, dict):
        unknown = sorted(set(raw) - _FIELDS[section])
        if unknown:
            field = f"{section}[{index}].{unknown[0]}"
            raise InvalidInput(f"{field}: unknown field", field=field)
    try:
        return _ROWS[section].validate_python(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = ".".join(str(p) for p in error["loc"])
        field = f"{section}[{index}]" + (f".{loc}" if loc else "")
        raise InvalidInput(f"{field}: {error['msg']}", field=field) from None

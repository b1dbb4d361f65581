"""Health endpoints (no authentication): /health, /live, /ready."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from pm.db.query import sql

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)
_PING = sql("SELECT 1")


@router.get("/health", summary="Health")
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/live", summary="Liveness")
async def live() -> dict[str, str]:
    """The event loop answers."""
    return {"status": "ok"}


@router.get("/ready", summary="Readiness", responses={503: {"description": "Not ready"}})
async def ready(request: Request) -> Response:
    """The default tenant's store can be opened and queried; how long the query took."""
    services = request.app.state.services
    tenant = request.app.state.ready_tenant
    try:
        async with services.tenancy.manager.lease(tenant) as store:
            reader = await store.reader()
            started = time.perf_counter()
            await reader.one(_PING)
            latency = time.perf_counter() - started
    except Exception as exc:
        log.warning("not ready", exc_info=exc)
        return JSONResponse(
            {"status": "unavailable", "detail": str(exc)}, 503, headers={"Retry-After": "5"}
        )
    return JSONResponse(
        {
            "status": "ok",
            "version": request.app.version,
            "database_latency_ms": round(latency * 1000, 3),
            "open_tenants": services.tenancy.manager.open_count,
        }
    )

"""The sync section: the memory and time of exporting tenants of 10,000 and 100,000 items.

The tenants are seeded straight into SQLite (stories with their activity rows), then
exported over HTTP by a tenant admin while the server's peak RSS (VmHWM) is read before
and after each export. A streaming export grows the peak by about the same few MiB at
both sizes; one that built the document in memory would grow it tenfold.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from bench import seed
from bench.servers import JWT, proc_status, start_pm, stop
from pm.auth.jwt import mint

SIZES = (10_000, 100_000)


def _admin(tenant: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {mint(JWT, tenant, 'admin', 4.0, {'roles': ['tenant_admin']})}"
    }


def export_once(url: str, tenant: str, pid: int) -> dict[str, Any]:
    """Stream one whole-tenant export, reading the server's memory around it."""
    before = proc_status(pid)
    started = time.perf_counter()
    size = 0
    with httpx.stream("GET", f"{url}/api/v1/sync/export", headers=_admin(tenant), timeout=600) as r:
        r.raise_for_status()
        for chunk in r.iter_bytes():
            size += len(chunk)
    seconds = time.perf_counter() - started
    after = proc_status(pid)
    return {
        "seconds": seconds,
        "bytes": size,
        "hwm_before_kb": before["VmHWM"],
        "hwm_after_kb": after["VmHWM"],
        "rss_after_kb": after["VmRSS"],
    }


def run(work: Path, quick: bool) -> dict[str, Any]:
    """Seed both tenants, then export each (the smaller first)."""
    data = work / "sync-data"
    pm = start_pm(data, work)
    out: dict[str, Any] = {"exports": {}}
    try:
        for items in SIZES:
            tenant = f"sync{items}"
            with httpx.Client(base_url=pm.url, headers=_admin(tenant), timeout=60) as client:
                project = seed.create_project(client, "SYNC", "Exported")["id"]
            seed.bulk_items(seed.tenant_db(data, tenant), project, items)
        for items in SIZES:
            out["exports"][str(items)] = export_once(pm.url, f"sync{items}", pm.pid)
    finally:
        stop(pm)
    out["quick"] = quick
    return out

"""What the app's lifespan starts, it stops: the heap policy's reclaim timer."""

from __future__ import annotations

import asyncio
import gc

from pm.server.app import create_app
from pm.server.settings import Settings


def _reclaimers() -> list[asyncio.Task[object]]:
    return [task for task in asyncio.all_tasks() if task.get_name() == "gc-reclaim"]


async def test_the_reclaim_timer_runs_exactly_while_the_app_does(settings: Settings) -> None:
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            assert len(_reclaimers()) == 1
            assert gc.get_freeze_count() > 0  # start-up froze the heap
        assert _reclaimers() == []
    finally:
        gc.unfreeze()

"""bench.ab still works: two revisions' servers side by side, briefly (no timings asserted)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench import ab
from bench.servers import ROOT, export_revision


def _in_git() -> bool:
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True)
    return done.returncode == 0


def test_ratios_pair_the_windows_and_skip_an_idle_old_side() -> None:
    assert ab.ratios([100.0, 0.0, 200.0], [110.0, 50.0, 100.0]) == [1.1, 0.5]


@pytest.mark.skipif(not _in_git(), reason="bench.ab exports revisions with git archive")
@pytest.mark.parametrize("workers", [1, 2])
def test_both_sides_answer_every_window(tmp_path: Path, workers: int) -> None:
    old_src = export_revision("HEAD", tmp_path / "old-source")
    assert (old_src / "pm" / "__init__.py").is_file()
    old, new = ab.compare(tmp_path, old_src, ROOT / "src", "sqlite", "post", 2, 0.3, workers)
    assert [r.name for r in old] == ["old 0", "old 1"]
    assert [r.name for r in new] == ["new 0", "new 1"]
    for result in (*old, *new):
        assert result.requests > 0
        assert result.errors == 0
        assert set(result.statuses) == {"201"}

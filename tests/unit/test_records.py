"""`@record`: immutable for the type checker, hashable and comparable by value at run time."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import pytest
from mypy import api as mypy_api

from pm.core.records import evolve, record


@record
class Point:
    x: int
    y: int = 0


def test_records_compare_and_hash_by_value_and_copy_with_replace() -> None:
    assert Point(1, 2) == Point(1, 2)
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert {Point(1), Point(1)} == {Point(1)}
    assert replace(Point(1, 2), y=5) == Point(1, 5)
    assert [f.name for f in fields(Point)] == ["x", "y"]
    assert not hasattr(Point(1), "__dict__")  # slotted


def test_assigning_a_field_is_a_type_error(tmp_path: Path) -> None:
    # Immutability is enforced by mypy --strict (CI), not by a run-time __setattr__ hook.
    source = tmp_path / "mutate.py"
    source.write_text(
        "from pm.core.records import record\n\n@record\nclass P:\n    x: int\n\np = P(1)\np.x = 2\n"
    )
    out, _, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(source)]
    )
    assert status == 1
    assert 'Property "x" defined in "P" is read-only' in out


def test_a_misspelt_or_mistyped_change_is_a_type_error(tmp_path: Path) -> None:
    # evolve and bump are checked by mypy --strict as dataclasses.replace is (pm.core only,
    # so the check stays quick).
    source = tmp_path / "changes.py"
    source.write_text(
        "from pm.core.comments import Comment\n"
        "from pm.core.records import evolve\n"
        "from pm.core.versioning import bump\n"
        "from pm.core.work_items import WorkItem\n\n"
        "def change(item: WorkItem, comment: Comment) -> None:\n"
        "    evolve(item, title='x', **bump(item, 1, 'bob'))\n"
        "    evolve(item, titel='x')\n"
        "    evolve(item, title=3)\n"
        "    evolve(comment, **bump(comment, 1, 'bob'))\n"
    )
    out, _, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(source)]
    )
    assert status == 1
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["8", "9", "10", "10"], out
    assert 'Unexpected keyword argument "titel" for "replace" of "WorkItem"' in out
    assert 'Argument "title" to "replace" of "WorkItem" has incompatible type "int"' in out
    assert 'Extra argument "version" from **args for "replace" of "Comment"' in out


def test_evolve_copies_with_changes_like_replace() -> None:
    point = Point(1, 2)
    assert evolve(point, y=7) == replace(point, y=7) == Point(1, 7)
    assert evolve(point) == point
    assert evolve(point) is not point
    with pytest.raises(TypeError, match="no field 'z'"):
        evolve(point, z=1)


@record
class Single:
    only: str


def test_evolve_a_record_of_one_field() -> None:
    assert evolve(Single("a"), only="b") == Single("b")

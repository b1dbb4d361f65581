"""The activity diff: one FieldChange per changed field, values rendered as text."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from pm.core.activity import FieldChange, diff, render
from pm.core.enums import Priority


@dataclass(frozen=True)
class Thing:
    """An entity with the kinds of field the domain has."""

    title: str
    priority: Priority
    story_points: int | None
    is_default: bool
    internal: int


BASE = Thing("Write tests", Priority.MEDIUM, None, False, 0)
FIELDS = ("title", "priority", "story_points", "is_default")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (42, "42"),
        ("", ""),
        ("done", "done"),
        (Priority.HIGH, "high"),
    ],
)
def test_values_render_as_stored_text(value: object, text: str | None) -> None:
    assert render(value) == text


def test_no_change_no_entries() -> None:
    assert diff(BASE, replace(BASE), FIELDS) == []


def test_one_entry_per_changed_field_in_field_order() -> None:
    changed = replace(BASE, story_points=5, title="Write more tests", is_default=True)
    assert diff(BASE, changed, FIELDS) == [
        FieldChange("title", "Write tests", "Write more tests"),
        FieldChange("story_points", None, "5"),
        FieldChange("is_default", "false", "true"),
    ]


def test_the_order_follows_the_fields_given() -> None:
    changed = replace(BASE, title="B", priority=Priority.CRITICAL)
    assert [c.field_name for c in diff(BASE, changed, ("priority", "title"))] == [
        "priority",
        "title",
    ]


def test_enums_render_as_their_wire_value() -> None:
    changed = replace(BASE, priority=Priority.CRITICAL)
    assert diff(BASE, changed, FIELDS) == [FieldChange("priority", "medium", "critical")]


def test_clearing_a_field_records_an_absent_new_value() -> None:
    before = replace(BASE, story_points=3)
    assert diff(before, BASE, FIELDS) == [FieldChange("story_points", "3", None)]


def test_fields_not_named_are_not_recorded() -> None:
    assert diff(BASE, replace(BASE, internal=9), FIELDS) == []


def test_a_plain_string_equal_to_the_enum_is_no_change() -> None:
    # Updates arrive as JSON strings; "medium" is the same priority as Priority.MEDIUM.
    assert diff(BASE, replace(BASE, priority="medium"), FIELDS) == []

"""Project keys and titles."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.core import projects
from pm.core.errors import InvalidInput


@pytest.mark.parametrize("key", ["PONE", "AB", "A1", "X9Y8", "A123456789", "ABCDEFGHIJ"])
def test_valid_keys_are_returned_unchanged(key: str) -> None:
    assert projects.validate_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "",
        "A",
        "ABCDEFGHIJK",
        "1ABC",
        "pone",
        "Pone",
        "PO-NE",
        "PO_NE",
        "PO NE",
        " PONE",
        "PONE ",
        "PONE\n",
        "ÄBC",
        "ＰＯＮＥ",
    ],
)
def test_invalid_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidInput, match="2-10 upper-case") as caught:
        projects.validate_key(key)
    assert caught.value.field == "key"


@given(key=st.text(alphabet=string.ascii_uppercase + string.digits + "a-_\n ", max_size=12))
def test_a_key_is_valid_exactly_when_the_rule_says_so(key: str) -> None:
    allowed = set(string.ascii_uppercase + string.digits)
    valid = 2 <= len(key) <= 10 and key[0] in string.ascii_uppercase and set(key) <= allowed
    if valid:
        assert projects.validate_key(key) == key
    else:
        with pytest.raises(InvalidInput) as caught:
            projects.validate_key(key)
        assert caught.value.field == "key"


def test_titles_are_trimmed() -> None:
    assert projects.validate_title("  Project one \n") == "Project one"


@pytest.mark.parametrize("title", ["", " ", "\t\n "])
def test_blank_titles_are_refused(title: str) -> None:
    with pytest.raises(InvalidInput, match="title must not be blank") as caught:
        projects.validate_title(title)
    assert caught.value.field == "title"


def test_blank_names_report_the_field_they_came_from() -> None:
    with pytest.raises(InvalidInput, match="name must not be blank") as caught:
        projects.validate_title("   ", field="name")
    assert caught.value.field == "name"
    assert projects.validate_title(" Backlog ", field="name") == "Backlog"


def test_only_title_description_and_status_are_updatable() -> None:
    assert set(projects.UPDATABLE_FIELDS) == {"title", "description", "status"}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("PONE", "PONE"),
        ("pone", "PONE"),
        ("pOnE9", "PONE9"),
        ("AB", "AB"),
        ("a123456789", "A123456789"),
    ],
)
def test_parse_key_reads_a_key_in_any_case(text: str, key: str) -> None:
    assert projects.parse_key(text) == key


@pytest.mark.parametrize(
    "text",
    [
        "0190a4b2-7c1e-7d3a-8f00-000000000000",  # an id
        "A",
        "ABCDEFGHIJK",
        "1ABC",
        "PO-NE",
        "PONE ",
        "PONE\n",
        "\u017fONE",  # a long s would fold to S under Unicode case folding
        "",
    ],
)
def test_parse_key_leaves_ids_and_non_keys_alone(text: str) -> None:
    assert projects.parse_key(text) is None


@given(key=st.from_regex(r"[A-Za-z][A-Za-z0-9]{1,9}", fullmatch=True))
def test_parse_key_result_is_a_valid_key(key: str) -> None:
    parsed = projects.parse_key(key)
    assert parsed == key.upper()
    assert projects.validate_key(parsed) == parsed

"""Dependencies: no self-links, no duplicate pairs, no `blocks` cycles, symmetric relates_to."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.core import dependencies
from pm.core.dependencies import Dependency
from pm.core.enums import DependencyType
from pm.core.errors import Conflict, InvalidInput

BLOCKS, RELATES_TO = DependencyType.BLOCKS, DependencyType.RELATES_TO


def make_dep(blocking: str, blocked: str, kind: DependencyType = BLOCKS) -> Dependency:
    """A live dependency between two item ids."""
    return Dependency(f"{blocking}>{blocked}", blocking, blocked, kind, 0, "alice", None)


# --- normalise ---------------------------------------------------------------------------------


def test_blocks_keeps_its_direction() -> None:
    assert dependencies.normalise("b", "a", BLOCKS) == ("b", "a")
    assert dependencies.normalise("a", "b", BLOCKS) == ("a", "b")


def test_relates_to_is_stored_in_one_order() -> None:
    assert dependencies.normalise("b", "a", RELATES_TO) == ("a", "b")
    assert dependencies.normalise("a", "b", RELATES_TO) == ("a", "b")


@given(first=st.text(max_size=8), second=st.text(max_size=8))
def test_relates_to_is_symmetric(first: str, second: str) -> None:
    pair = dependencies.normalise(first, second, RELATES_TO)
    assert pair == dependencies.normalise(second, first, RELATES_TO)
    assert sorted(pair) == sorted((first, second))


# --- validate_new ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(DependencyType))
def test_an_item_cannot_depend_on_itself(kind: DependencyType) -> None:
    with pytest.raises(InvalidInput, match="itself") as caught:
        dependencies.validate_new("a", "a", kind, None, set())
    assert caught.value.field == "blocked_item_id"


@pytest.mark.parametrize("kind", list(DependencyType))
@pytest.mark.parametrize("existing_kind", list(DependencyType))
def test_a_pair_is_linked_at_most_once(kind: DependencyType, existing_kind: DependencyType) -> None:
    existing = make_dep("a", "b", existing_kind)
    with pytest.raises(Conflict, match=f"already linked \\({existing_kind.value}\\)") as caught:
        dependencies.validate_new("a", "b", kind, existing, set())
    assert caught.value.field == "blocked_item_id"
    assert caught.value.current is existing


def test_a_fresh_blocks_link_is_accepted() -> None:
    dependencies.validate_new("a", "b", BLOCKS, None, {"c", "d"})


def test_blocks_that_would_close_a_direct_cycle_is_refused() -> None:
    # b already blocks a; now a would block b.
    with pytest.raises(InvalidInput, match="cycle") as caught:
        dependencies.validate_new("a", "b", BLOCKS, None, {"a"})
    assert caught.value.field == "blocked_item_id"


def test_blocks_that_would_close_a_transitive_cycle_is_refused() -> None:
    # b blocks c, c blocks a; now a would block b.
    with pytest.raises(InvalidInput, match="cycle") as caught:
        dependencies.validate_new("a", "b", BLOCKS, None, {"c", "a"})
    assert caught.value.field == "blocked_item_id"


def test_relates_to_never_counts_as_a_cycle() -> None:
    dependencies.validate_new("a", "b", RELATES_TO, None, {"a", "c"})


def _reachable(edges: set[tuple[int, int]], start: int) -> set[int]:
    seen: set[int] = set()
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for src, dst in edges:
            if src == node and dst not in seen:
                seen.add(dst)
                todo.append(dst)
    return seen


def _acyclic(nodes: int, edges: set[tuple[int, int]]) -> bool:
    indegree = {n: 0 for n in range(nodes)}
    for _src, dst in edges:
        indegree[dst] += 1
    ready = [n for n, d in indegree.items() if d == 0]
    removed = 0
    while ready:
        node = ready.pop()
        removed += 1
        for src, dst in edges:
            if src == node:
                indegree[dst] -= 1
                if indegree[dst] == 0:
                    ready.append(dst)
    return removed == nodes


@given(
    nodes=st.integers(min_value=2, max_value=7),
    data=st.data(),
)
def test_blocks_is_refused_exactly_when_it_would_make_a_cycle(
    nodes: int, data: st.DataObject
) -> None:
    # Edges only go from lower to higher numbers, so the starting graph is acyclic.
    forward = st.tuples(st.integers(0, nodes - 1), st.integers(0, nodes - 1)).filter(
        lambda e: e[0] < e[1]
    )
    edges = data.draw(st.sets(forward, max_size=nodes * 2), label="edges")
    blocking = data.draw(st.integers(0, nodes - 1), label="blocking")
    blocked = data.draw(st.integers(0, nodes - 1).filter(lambda n: n != blocking), label="blocked")
    if (blocking, blocked) in edges:
        return
    reachable = {str(n) for n in _reachable(edges, blocked)}
    would_cycle = not _acyclic(nodes, edges | {(blocking, blocked)})
    if would_cycle:
        with pytest.raises(InvalidInput) as caught:
            dependencies.validate_new(str(blocking), str(blocked), BLOCKS, None, reachable)
        assert caught.value.field == "blocked_item_id"
    else:
        dependencies.validate_new(str(blocking), str(blocked), BLOCKS, None, reachable)
    # relates_to links the same pair whatever the graph looks like.
    dependencies.validate_new(str(blocking), str(blocked), RELATES_TO, None, reachable)


# --- partition ---------------------------------------------------------------------------------


def test_partition_sorts_an_items_links_by_role() -> None:
    blocker = make_dep("x", "me")
    blockee = make_dep("me", "y")
    related_left = make_dep("a", "me", RELATES_TO)
    related_right = make_dep("me", "z", RELATES_TO)
    result = dependencies.partition("me", [blocker, related_left, blockee, related_right])
    assert result.blocking == [blocker]
    assert result.blocked == [blockee]
    assert result.related == [related_left, related_right]


def test_relates_to_never_blocks_in_either_direction() -> None:
    result = dependencies.partition(
        "me", [make_dep("me", "z", RELATES_TO), make_dep("z", "me", RELATES_TO)]
    )
    assert result.blocking == []
    assert result.blocked == []
    assert len(result.related) == 2


def test_partition_ignores_links_between_other_items() -> None:
    result = dependencies.partition(
        "me", [make_dep("x", "y"), make_dep("x", "y", RELATES_TO), make_dep("me", "y")]
    )
    assert result.blocking == []
    assert [d.blocked_item_id for d in result.blocked] == ["y"]
    assert result.related == []


def test_partition_of_nothing_is_empty() -> None:
    result = dependencies.partition("me", iter([]))
    assert (result.blocking, result.blocked, result.related) == ([], [], [])


def test_find_cycle_names_a_link_on_the_cycle() -> None:
    from pm.core.dependencies import find_cycle

    assert find_cycle([]) is None
    assert find_cycle([("l1", "a", "b"), ("l2", "b", "c"), ("l3", "a", "c")]) is None
    chain = [("l1", "a", "b"), ("l2", "b", "c"), ("l3", "c", "a"), ("l4", "c", "d")]
    assert find_cycle(chain) in {"l1", "l2", "l3"}
    assert find_cycle([("self", "x", "x")]) == "self"
    # Behind a cycle is not on it: only links between stuck items are named.
    assert find_cycle([("in", "z", "a"), ("l1", "a", "b"), ("l2", "b", "a")]) in {"l1", "l2"}
    downstream = [("l1", "a", "b"), ("l2", "b", "a"), ("l3", "b", "d"), ("l4", "d", "e")]
    assert find_cycle(downstream) in {"l1", "l2"}
    assert find_cycle([("l3", "b", "d"), ("l4", "d", "e"), ("l1", "a", "b")]) is None

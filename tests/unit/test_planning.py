"""The critical path: the heaviest chain of open items linked by `blocks`."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from pm.core import planning
from pm.core.enums import Priority


def test_priority_order_is_most_urgent_first_and_complete() -> None:
    assert planning.PRIORITY_ORDER[0] is Priority.CRITICAL
    assert planning.PRIORITY_ORDER[-1] is Priority.LOW
    assert set(planning.PRIORITY_ORDER) == set(Priority)


def test_an_item_without_points_weighs_one() -> None:
    assert planning.weight(None) == 1
    assert planning.weight(0) == 0
    assert planning.weight(8) == 8


def test_the_heaviest_chain_wins_over_the_longest() -> None:
    weights = {"a": 1, "b": 1, "c": 1, "d": 1, "x": 5, "y": 3}
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("x", "y")]
    assert planning.heaviest_chain(weights, edges) == (["x", "y"], 8)


def test_a_chain_follows_the_heavier_branch_through_a_diamond() -> None:
    weights = {"start": 1, "light": 1, "heavy": 5, "end": 2}
    edges = [("start", "light"), ("start", "heavy"), ("light", "end"), ("heavy", "end")]
    assert planning.heaviest_chain(weights, edges) == (["start", "heavy", "end"], 8)


def test_without_links_the_heaviest_single_item_is_the_path() -> None:
    assert planning.heaviest_chain({"a": 2, "b": 3}, []) == (["b"], 3)
    assert planning.heaviest_chain({}, []) == ([], 0)


def test_edges_to_items_outside_the_graph_are_ignored() -> None:
    # A link to a done item (not in `weights`) is no part of any open chain.
    assert planning.heaviest_chain({"a": 1, "b": 1}, [("a", "done"), ("gone", "b")]) == (["a"], 1)


def test_ties_are_broken_the_same_way_every_time() -> None:
    weights = {"a": 1, "b": 1, "c": 1, "d": 1}
    edges = [("a", "c"), ("b", "c"), ("c", "d")]
    for ordering in itertools.permutations(edges):
        assert planning.heaviest_chain(weights, ordering) == (["a", "c", "d"], 3)
    # Zero-point items still join the chain.
    assert planning.heaviest_chain({"z": 0, "a": 2}, [("z", "a")]) == (["z", "a"], 2)


def test_items_on_a_cycle_are_left_out() -> None:
    weights = {"a": 1, "b": 1, "c": 9}
    assert planning.heaviest_chain(weights, [("a", "b"), ("b", "a"), ("a", "c")]) == ([], 0)
    assert planning.heaviest_chain({"a": 5, "b": 5, "d": 2}, [("a", "b"), ("b", "a")]) == (
        ["d"],
        2,
    )


def _paths(weights: dict[str, int], edges: set[tuple[str, str]]) -> list[list[str]]:
    """Every path of the DAG, by brute force."""
    found: list[list[str]] = []

    def walk(path: list[str]) -> None:
        found.append(path)
        for a, b in edges:
            if a == path[-1]:
                walk([*path, b])

    for node in weights:
        walk([node])
    return found


@st.composite
def dags(draw: st.DrawFn) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """A small DAG: edges only go from a lower to a higher node number."""
    size = draw(st.integers(min_value=1, max_value=7))
    nodes = [f"n{i}" for i in range(size)]
    weights = {n: draw(st.integers(min_value=0, max_value=5)) for n in nodes}
    pairs = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1 :]]
    edges = draw(st.sets(st.sampled_from(pairs))) if pairs else set()
    return weights, edges


@given(dags())
def test_the_chain_is_a_real_path_of_the_greatest_weight(
    dag: tuple[dict[str, int], set[tuple[str, str]]],
) -> None:
    weights, edges = dag
    chain, total = planning.heaviest_chain(weights, edges)
    assert all((a, b) in edges for a, b in itertools.pairwise(chain))
    assert total == sum(weights[n] for n in chain)
    assert total == max(sum(weights[n] for n in path) for path in _paths(weights, edges))

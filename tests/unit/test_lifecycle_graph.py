"""The lifecycle StageGraph: its validation, manual moves and automatic moves on purchase."""

from __future__ import annotations

from typing import Any

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationkit as rk
from relationkit.errors import ValidationError

START = pendulum.datetime(2026, 1, 1, tz="UTC")
GRAPH = rk.DEFAULT_STAGE_GRAPH


def _graph(**changes: Any) -> rk.StageGraph:
    arguments: dict[str, Any] = {
        "stages": ("lead", "customer", "churned"),
        "transitions": {("lead", "customer"), ("customer", "churned")},
        "initial": "lead",
        "on_purchase": "customer",
        "reactivate_from": {"churned"},
    }
    arguments.update(changes)
    return rk.StageGraph(**arguments)


# -- the default graph ---------------------------------------------------------


def test_default_graph_has_the_documented_stages() -> None:
    """The default journey has lead, customer, at_risk and churned; accounts start as leads."""
    assert {"lead", "customer", "at_risk", "churned"} <= set(GRAPH.stages)
    expected = "lead"
    assert expected == GRAPH.initial
    expected = "customer"
    assert expected == GRAPH.on_purchase
    assert frozenset({"at_risk", "churned"}) == GRAPH.reactivate_from


def test_default_graph_orders_the_journey() -> None:
    """Journey order: subscriber < lead < qualified < opportunity < customer < loyal < advocate."""
    journey = ["subscriber", "lead", "qualified", "opportunity", "customer", "loyal", "advocate"]

    assert journey == sorted(journey, key=GRAPH.rank)


def test_default_graph_allows_the_way_back_from_churned() -> None:
    """A churned account may be moved back to lead or customer by hand, not to advocate."""
    expected = ["lead", "customer"]
    assert expected == GRAPH.next_stages("churned")
    assert GRAPH.allows("churned", "customer")
    assert not GRAPH.allows("churned", "advocate")


# -- validation ----------------------------------------------------------------


def test_a_valid_graph_is_built_and_normalized() -> None:
    """Lists become tuples and frozensets: the graph is hashable and immutable."""
    graph = _graph(stages=["lead", "customer", "churned"], reactivate_from=["churned"])

    expected = ("lead", "customer", "churned")
    assert expected == graph.stages
    assert frozenset({("lead", "customer"), ("customer", "churned")}) == graph.transitions
    assert frozenset({"churned"}) == graph.reactivate_from
    assert hash(graph) == hash(_graph())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"stages": ("lead", "lead", "customer", "churned")}, "stages"),
        ({"initial": "prospect"}, "initial"),
        ({"transitions": {("lead", "prospect")}}, "transitions"),
        ({"transitions": {("ghost", "lead")}}, "transitions"),
        ({"on_purchase": "buyer"}, "on_purchase"),
        ({"reactivate_from": {"lost"}}, "reactivate_from"),
        ({"stages": (), "transitions": set(), "reactivate_from": set()}, "initial"),
    ],
)
def test_invalid_graphs_are_rejected_naming_the_field(changes: dict[str, Any], field: str) -> None:
    """Repeated stages and references to unknown stages raise ValidationError on that field."""
    with pytest.raises(ValidationError) as caught:
        _graph(**changes)

    assert field == caught.value.field


def test_build_turns_a_move_map_into_transitions() -> None:
    """StageGraph.build({stage: [targets]}) is the same graph as the explicit pairs."""
    built = rk.StageGraph.build(
        ["lead", "customer", "churned"],
        {"lead": ["customer"], "customer": ["churned"]},
        initial="lead",
        on_purchase="customer",
        reactivate_from=["churned"],
    )

    assert _graph() == built


def test_build_rejects_moves_to_unknown_stages() -> None:
    """A move map naming a stage outside the list is rejected."""
    with pytest.raises(ValidationError):
        rk.StageGraph.build(["lead"], {"lead": ["customer"]}, initial="lead")


def test_manual_moves_follow_the_transitions_only() -> None:
    """allows() and next_stages() read the transitions, in journey order."""
    graph = _graph()

    assert graph.allows("lead", "customer")
    assert not graph.allows("customer", "lead")
    expected = ["customer"]
    assert expected == graph.next_stages("lead")
    expected = []
    assert expected == graph.next_stages("churned")


# -- automatic moves on purchase ------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("subscriber", "customer"),
        ("lead", "customer"),
        ("qualified", "customer"),
        ("opportunity", "customer"),
        ("customer", None),
        ("loyal", None),
        ("advocate", None),
        ("at_risk", "customer"),
        ("churned", "customer"),
    ],
)
def test_purchase_moves_forward_only_or_reactivates(stage: str, expected: str | None) -> None:
    """Earlier stages move to customer; loyal and advocate stay; at_risk and churned come back."""
    assert expected == GRAPH.after_purchase(stage)


def test_purchase_moves_nothing_without_on_purchase() -> None:
    """With on_purchase None, purchases leave every stage alone."""
    graph = _graph(on_purchase=None, reactivate_from=set())

    expected = [None, None, None]
    assert expected == [graph.after_purchase(s) for s in graph.stages]


@st.composite
def _graphs(draw: st.DrawFn) -> rk.StageGraph:
    stages = draw(
        st.lists(st.text("abcdefgh", min_size=1, max_size=3), min_size=1, max_size=8, unique=True)
    )
    pairs = st.tuples(st.sampled_from(stages), st.sampled_from(stages))
    return rk.StageGraph(
        stages=stages,
        transitions=draw(st.frozensets(pairs, max_size=10)),
        initial=draw(st.sampled_from(stages)),
        on_purchase=draw(st.none() | st.sampled_from(stages)),
        reactivate_from=draw(st.frozensets(st.sampled_from(stages))),
    )


@settings(max_examples=80, deadline=None)
@given(graph=_graphs(), data=st.data())
def test_after_purchase_is_forward_or_a_reactivation(
    graph: rk.StageGraph, data: st.DataObject
) -> None:
    """after_purchase(s) is None or on_purchase, and only when s is earlier or reactivatable."""
    stage = data.draw(st.sampled_from(graph.stages))

    target = graph.after_purchase(stage)

    if target is None:
        assert (
            graph.on_purchase is None
            or stage == graph.on_purchase
            or (
                stage not in graph.reactivate_from
                and graph.rank(stage) > graph.rank(graph.on_purchase)
            )
        )
    else:
        assert graph.on_purchase == target
        assert stage in graph.reactivate_from or graph.rank(stage) < graph.rank(target)


@pytest.mark.parametrize(
    ("start", "expected"),
    [("lead", "customer"), ("loyal", "loyal"), ("churned", "customer"), ("at_risk", "customer")],
)
def test_recording_a_purchase_applies_the_graph(start: str, expected: str) -> None:
    """Through a kit, a purchase moves the account as after_purchase says."""
    kit = rk.open(clock=rk.FrozenClock(START))
    alice = kit.customers.create(email="alice@example.com")
    path = {"lead": [], "loyal": ["customer", "loyal"], "churned": ["churned"]}
    path["at_risk"] = ["customer", "at_risk"]
    for stage in path[start]:
        kit.lifecycle.move(alice.id, stage)

    kit.purchases.record(
        order_id="1", customer_id=alice.id, occurred_at=START, total=rk.Money("5", "EUR")
    )

    assert expected == kit.lifecycle.stage(alice.id)


def test_purchase_on_an_account_in_a_stage_the_graph_dropped() -> None:
    """An account stored under an older graph can still buy after the host changes its graph."""
    storage = rk.MemoryStorage()
    old = rk.StageGraph.build(
        ["prospect", "lead", "customer"], {"prospect": ["lead"]}, initial="prospect"
    )
    alice = rk.open(storage=storage, stages=old).customers.create(email="alice@example.com")
    kit = rk.open(storage=storage)  # the default graph has no "prospect"

    purchase = kit.purchases.record(
        order_id="1", customer_id=alice.id, occurred_at=START, total=rk.Money("5", "EUR")
    )

    expected = "1"
    assert expected == purchase.order_id

"""Behaviour: lifecycle stages, moves, automatic moves, history and spans."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

import relationkit as rk
from relationkit.errors import InvalidTransition, NotFound
from relationkit.testing.base import T0, SuiteBase
from relationkit.testing.behaviour._support import buy

__all__ = ["LifecycleBehaviour"]


class LifecycleBehaviour(SuiteBase):
    """Lifecycle: stages, validated moves, automatic moves, history and spans."""

    def test_history_starts_with_the_initial_stage(self, kit: rk.RelationKit) -> None:
        """A new account's history holds its first stage, automatic, from None."""
        alice = kit.customers.create(name="Alice")

        expected = [
            rk.StageChange(
                account_id=alice.account_id,
                from_stage=None,
                to_stage="lead",
                at=T0,
                reason=None,
                automatic=True,
            )
        ]
        assert expected == kit.lifecycle.history(alice.id)

    def test_manual_move_is_stored_with_time_and_reason(
        self, kit: rk.RelationKit, clock: rk.FrozenClock
    ) -> None:
        """move() changes the stage and appends a dated, reasoned change to history."""
        alice = kit.customers.create(name="Alice")
        later = clock.advance(hours=3)

        change = kit.lifecycle.move(alice.id, "qualified", reason="demo booked")

        assert "qualified" == kit.lifecycle.stage(alice.id)
        assert [change] == kit.lifecycle.history(alice.id)[1:]
        assert ("lead", "qualified", later, "demo booked", False) == (
            change.from_stage,
            change.to_stage,
            change.at,
            change.reason,
            change.automatic,
        )

    def test_move_the_graph_forbids_is_invalid_transition(self, kit: rk.RelationKit) -> None:
        """A move without an edge in the graph raises InvalidTransition, changing nothing."""
        alice = kit.customers.create(name="Alice")

        with pytest.raises(InvalidTransition) as caught:
            kit.lifecycle.move(alice.id, "loyal")

        assert ("lead", "loyal") == (caught.value.from_stage, caught.value.to_stage)
        assert ("lead", 1) == (
            kit.lifecycle.stage(alice.id),
            len(kit.lifecycle.history(alice.id)),
        )

    def test_first_purchase_moves_a_lead_to_customer(self, kit: rk.RelationKit) -> None:
        """A first purchase moves the account to "customer", automatically, at order time."""
        alice = kit.customers.create(name="Alice")
        at = T0.add(days=1)

        buy(kit, alice.id, "1001", at=at)

        last = kit.lifecycle.history(alice.id)[-1]
        assert ("customer", "lead", "customer", at, "purchase", True) == (
            kit.lifecycle.stage(alice.id),
            last.from_stage,
            last.to_stage,
            last.at,
            last.reason,
            last.automatic,
        )

    def test_second_purchase_does_not_move_again(self, kit: rk.RelationKit) -> None:
        """Only the purchase that finds the account before "customer" moves it."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "1001")

        buy(kit, alice.id, "1002")

        assert ["lead", "customer"] == [c.to_stage for c in kit.lifecycle.history(alice.id)]

    def test_purchase_does_not_move_a_loyal_account_back(self, kit: rk.RelationKit) -> None:
        """A purchase by an account past "customer" (loyal) leaves its stage alone."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "1001")
        kit.lifecycle.move(alice.id, "loyal")

        buy(kit, alice.id, "1002")

        assert "loyal" == kit.lifecycle.stage(alice.id)

    def test_backfilled_purchase_moves_no_earlier_than_the_stage_began(
        self, kit: rk.RelationKit
    ) -> None:
        """An order dated before the account existed moves it at its current stage's start."""
        alice = kit.customers.create(name="Alice")

        buy(kit, alice.id, "old", at=pendulum.datetime(1997, 5, 1, tz="UTC"))

        assert T0 == kit.lifecycle.history(alice.id)[-1].at

    def test_spans_measure_time_in_each_stage(
        self, kit: rk.RelationKit, clock: rk.FrozenClock
    ) -> None:
        """spans() gives each stage's entry, exit and duration; the last is open."""
        alice = kit.customers.create(name="Alice")
        clock.advance(days=2)
        kit.lifecycle.move(alice.id, "qualified")
        clock.advance(days=3)

        spans = kit.lifecycle.spans(alice.id)

        assert [
            ("lead", T0, T0.add(days=2), dt.timedelta(days=2)),
            ("qualified", T0.add(days=2), None, dt.timedelta(days=3)),
        ] == [(s.stage, s.entered, s.left, s.duration.as_timedelta()) for s in spans]

    def test_distribution_counts_accounts_per_stage_in_journey_order(
        self, kit: rk.RelationKit
    ) -> None:
        """distribution() counts accounts per stage, every stage listed in graph order."""
        alice = kit.customers.create(name="Alice")
        kit.customers.create(name="Bob")
        acme = kit.accounts.create(name="ACME")
        kit.lifecycle.move(alice.id, "qualified")
        kit.lifecycle.move(acme.id, "churned")

        expected = dict.fromkeys(rk.DEFAULT_STAGE_GRAPH.stages, 0)
        expected.update(lead=1, qualified=1, churned=1)
        assert list(expected.items()) == list(kit.lifecycle.distribution().items())

    def test_stage_of_unknown_ref_is_not_found(self, kit: rk.RelationKit) -> None:
        """stage() and move() on an unknown id raise NotFound."""
        with pytest.raises(NotFound):
            kit.lifecycle.stage("acc_unknown")
        with pytest.raises(NotFound):
            kit.lifecycle.move("cus_unknown", "qualified")

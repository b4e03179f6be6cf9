"""Behaviour: interactions logged on any channel, listed in time order."""

from __future__ import annotations

import pytest

import relationkit as rk
from relationkit.errors import NotFound
from relationkit.testing.base import T0, SuiteBase

__all__ = ["InteractionBehaviour"]


class InteractionBehaviour(SuiteBase):
    """Interactions: logged on any channel, listed in time order."""

    def test_logged_interaction_round_trips(self, kit: rk.RelationKit) -> None:
        """Every field of a logged interaction comes back from list()."""
        alice = kit.customers.create(name="Alice")

        logged = kit.interactions.log(
            alice.id,
            channel=rk.Channel.EMAIL,
            direction=rk.Direction.OUTBOUND,
            subject="Welcome",
            notes="Sent the onboarding guide. ✉️",
            outcome="opened",
            occurred_at=T0.subtract(hours=1),
        )

        assert [logged] == kit.interactions.history(alice.id)
        assert (alice.id, alice.account_id, T0) == (
            logged.customer_id,
            logged.account_id,
            logged.recorded_at,
        )

    def test_interactions_are_listed_in_occurred_at_order(self, kit: rk.RelationKit) -> None:
        """Interactions logged out of order are listed by occurred_at."""
        alice = kit.customers.create(name="Alice")
        for day in (3, 1, 2):
            kit.interactions.log(
                alice.id,
                channel=rk.Channel.CHAT,
                direction=rk.Direction.INBOUND,
                subject=f"day {day}",
                occurred_at=T0.add(days=day),
            )

        assert ["day 1", "day 2", "day 3"] == [
            i.subject for i in kit.interactions.history(alice.id)
        ]

    def test_log_for_unknown_ref_is_not_found(self, kit: rk.RelationKit) -> None:
        """Logging for an unknown customer raises NotFound."""
        with pytest.raises(NotFound):
            kit.interactions.log("cus_unknown", channel="email", direction="outbound")

"""Behaviour: an account's timeline merges all of its history in time order."""

from __future__ import annotations

import relationkit as rk
from relationkit.testing.base import T0, SuiteBase, eur
from relationkit.testing.behaviour._support import buy

__all__ = ["TimelineBehaviour"]


class TimelineBehaviour(SuiteBase):
    """timeline(): stage changes, interactions, purchases and refunds, by time."""

    def test_timeline_merges_everything_in_time_order(self, kit: rk.RelationKit) -> None:
        """timeline() merges stage changes, interactions, purchases and refunds by time."""
        alice = kit.customers.create(name="Alice")
        kit.interactions.log(
            alice.id, channel="email", direction="outbound", occurred_at=T0.add(days=2)
        )
        buy(kit, alice.id, "1001", at=T0.add(days=1))
        kit.purchases.refund(
            "1001", refund_id="r-1", amount=eur("5.00"), occurred_at=T0.add(days=3)
        )

        actual = [(e.kind, e.at) for e in kit.timeline(alice.id)]

        assert [
            ("stage", T0),
            ("stage", T0.add(days=1)),
            ("purchase", T0.add(days=1)),
            ("interaction", T0.add(days=2)),
            ("refund", T0.add(days=3)),
        ] == actual

    def test_timeline_of_a_contact_is_the_company_timeline(self, kit: rk.RelationKit) -> None:
        """A B2B contact's timeline is the account's: every contact's activity."""
        acme = kit.accounts.create(name="ACME")
        bob = kit.customers.create(name="Bob", account_id=acme.id, role="buyer")
        eve = kit.customers.create(name="Eve", account_id=acme.id, role="cfo")
        buy(kit, bob.id, "b1", at=T0.add(hours=1))
        kit.interactions.log(
            eve.id, channel="phone", direction="inbound", occurred_at=T0.add(hours=2)
        )

        assert kit.timeline(acme.id) == kit.timeline(bob.id)
        assert [None, None, bob.id, eve.id] == [e.customer_id for e in kit.timeline(eve.id)]

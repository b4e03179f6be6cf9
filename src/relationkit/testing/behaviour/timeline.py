"""Behaviour: an account's timeline merges all of its history in time order."""

from __future__ import annotations

import pytest

import relationkit as rk
from relationkit.domain.timeline import TimelineEntry
from relationkit.errors import ValidationError
from relationkit.testing.base import T0, OpenKit, SuiteBase, eur
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

    @staticmethod
    def _busy_history(open_kit: OpenKit) -> tuple[rk.RelationKit, str]:
        """An account whose lines share instants across and within kinds, some backfilled."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", first_purchase_bonus=50))
        alice = kit.customers.create(name="Alice")
        later = T0.add(days=1)
        for n in range(3):  # three purchases at one instant: purchases and points tie
            buy(kit, alice.id, f"o-{n}", "10.00", at=later)
        for _ in range(4):  # four interactions at that same instant
            kit.interactions.log(alice.id, channel="email", direction="outbound", occurred_at=later)
        for n in range(2):  # two refunds at one instant, with an interaction beside them
            kit.purchases.refund(
                f"o-{n}", refund_id=f"r-{n}", amount=eur("1.00"), occurred_at=later.add(hours=1)
            )
        kit.interactions.log(
            alice.id, channel="phone", direction="inbound", occurred_at=later.add(hours=1)
        )
        buy(kit, alice.id, "backfilled", "20.00", at=T0.subtract(years=1))
        kit.loyalty.adjust(alice.id, 5, idempotency_key="goodwill-1", reason="goodwill")
        return kit, alice.id

    @pytest.mark.parametrize("size", [1, 2, 3, 7, 100])
    def test_timeline_pages_add_up_to_the_whole_timeline(
        self, open_kit: OpenKit, size: int
    ) -> None:
        """Pages of any size, each after the last line of the one before, give every line once.

        The history has several lines of one kind at one instant and lines of
        several kinds at one instant, so a page boundary falls inside both.
        """
        kit, account = self._busy_history(open_kit)
        whole = kit.timeline(account)
        pages: list[TimelineEntry] = []
        while page := kit.timeline(account, limit=size, after=pages[-1] if pages else None):
            assert len(page) <= size
            pages += page

        assert whole == pages
        assert whole == list(kit.iter_timeline(account, page_size=size))
        assert sorted(whole, key=lambda e: e.at) == whole

    def test_timeline_orders_lines_of_one_instant_by_kind_then_source_order(
        self, open_kit: OpenKit
    ) -> None:
        """At one instant: stage changes, interactions, purchases, refunds, then points."""
        kit, account = self._busy_history(open_kit)
        later = T0.add(days=1)

        at_later = [(e.kind, e.ref, e.position) for e in kit.timeline(account) if e.at == later]

        kinds = [k for k, _, _ in at_later]
        # The first purchase moves the account on: its stage change leads the instant.
        assert ["stage"] + ["interaction"] * 4 + ["purchase"] * 3 == kinds[:8]
        assert {"points"} == set(kinds[8:])
        assert ["o-0", "o-1", "o-2"] == [r for k, r, _ in at_later if k == "purchase"]
        assert [0, 1, 2] == [n for k, _, n in at_later if k == "purchase"]
        refunds = [(e.ref, e.position) for e in kit.timeline(account) if e.kind == "refund"]
        assert [("r-0", 0), ("r-1", 1)] == refunds

    def test_timeline_rejects_a_page_size_below_one(self, kit: rk.RelationKit) -> None:
        """limit and page_size must be positive: a typed error, nothing read."""
        alice = kit.customers.create(name="Alice")
        with pytest.raises(ValidationError):
            kit.timeline(alice.id, limit=0)
        with pytest.raises(ValidationError):
            list(kit.iter_timeline(alice.id, page_size=0))

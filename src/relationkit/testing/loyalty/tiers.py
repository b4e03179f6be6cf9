"""Loyalty: tiers follow points earned (or spend), not the balance."""

from __future__ import annotations

import pendulum
import pytest

import relationkit as rk
from relationkit.domain.ledger import EntryKind
from relationkit.domain.loyalty import DowngradePolicy
from relationkit.events import TierChanged
from relationkit.testing.base import T0, OpenKit, SuiteBase, eur
from relationkit.testing.loyalty._support import (
    SECOND,
    buy,
    entries_of,
    loyalty_events,
    member,
    refund_order,
    verified,
)

__all__ = ["TierLoyalty"]


_TIERED = rk.LoyaltyProgram(
    currency="EUR",
    tiers=[rk.Tier("silver", 100), rk.Tier("gold", 500, multiplier=2)],
)


class TierLoyalty(SuiteBase):
    """Failure guarded against: tiers computed on the balance instead of points earned."""

    def test_redeeming_does_not_lower_the_tier(self, open_kit: OpenKit) -> None:
        """Guards against tiers computed on the balance: spending points leaves the tier
        alone, as it is earned, not held."""
        kit = open_kit(_TIERED)
        alice = member(kit)
        events = loyalty_events(kit)
        buy(kit, alice, "o1", "150.00")

        kit.loyalty.redeem(alice, 150, idempotency_key="rw-1")
        due = kit.loyalty.process_due()

        assert ("silver", 0, 0) == (
            kit.loyalty.tier(alice),
            kit.loyalty.balance(alice),
            due.tier_changes,
        )
        assert [(None, "silver")] == [
            (e.old_tier, e.new_tier) for e in events if isinstance(e, TierChanged)
        ]
        verified(kit)

    def test_expiry_does_not_lower_the_tier(self, open_kit: OpenKit, clock: rk.FrozenClock) -> None:
        """Guards against tiers computed on the balance: points that expire were still
        earned within the window, so the tier stays."""
        program = rk.LoyaltyProgram(
            currency="EUR", expiry=rk.Expiry.after_days(30), tiers=[rk.Tier("silver", 100)]
        )
        kit = open_kit(program)
        alice = member(kit)
        buy(kit, alice, "o1", "150.00")
        clock.set(pendulum.datetime(2026, 2, 10, tz="UTC"))

        due = kit.loyalty.process_due()

        assert (rk.DueResult(accounts=1, expired=150), "silver", 0) == (
            due,
            kit.loyalty.tier(alice),
            kit.loyalty.balance(alice),
        )
        verified(kit)

    def test_refund_lowers_points_earned_and_the_tier(self, open_kit: OpenKit) -> None:
        """Guards against a tier kept on refunded orders: refunded points were not earned
        after all, so the tier drops, with TierChanged."""
        kit = open_kit(_TIERED)
        alice = member(kit)
        buy(kit, alice, "o1", "150.00")
        events = loyalty_events(kit)

        refund_order(kit, "o1", "r1", "100.00")

        assert None is kit.loyalty.tier(alice)
        assert [("silver", None)] == [
            (e.old_tier, e.new_tier) for e in events if isinstance(e, TierChanged)
        ]
        verified(kit)

    def test_tier_multiplier_applies_to_purchases_made_in_the_tier(self, open_kit: OpenKit) -> None:
        """The purchase that reaches gold earns at the base rate; the next one earns double."""
        kit = open_kit(_TIERED)
        alice = member(kit)

        buy(kit, alice, "o1", "500.00")
        buy(kit, alice, "o2", "100.00")

        assert [500, 200] == [e.points for e in entries_of(kit, alice, EntryKind.EARN)]
        assert ("gold", 700) == (kit.loyalty.tier(alice), kit.loyalty.balance(alice))
        verified(kit)

    def test_record_many_earns_what_record_earns(self, open_kit: OpenKit) -> None:
        """The bulk path follows the same rules: a batch whose first order reaches gold
        earns double on the next, as record() would."""
        kit = open_kit(_TIERED)
        alice = member(kit)

        kit.purchases.record_many(
            [
                {
                    "order_id": "o1",
                    "customer_id": alice,
                    "occurred_at": T0,
                    "total": eur("500.00"),
                },
                {
                    "order_id": "o2",
                    "customer_id": alice,
                    "occurred_at": T0,
                    "total": eur("100.00"),
                },
            ]
        )

        assert ("gold", 700) == (kit.loyalty.tier(alice), kit.loyalty.balance(alice))
        verified(kit)

    @pytest.mark.parametrize(("downgrade", "expected"), [("immediate", None), ("never", "silver")])
    def test_tier_follows_a_rolling_window(
        self,
        open_kit: OpenKit,
        clock: rk.FrozenClock,
        downgrade: DowngradePolicy,
        expected: str | None,
    ) -> None:
        """Points earned leave the window after tier_window_days: an "immediate" tier is
        lost then, a "never" one is kept."""
        kit = open_kit(
            rk.LoyaltyProgram(currency="EUR", tiers=[rk.Tier("silver", 100)], downgrade=downgrade)
        )
        alice = member(kit)
        buy(kit, alice, "o1", "150.00")
        clock.set(T0.add(days=365) - SECOND)
        kit.loyalty.process_due()
        kept = kit.loyalty.tier(alice)
        clock.set(T0.add(days=365))

        kit.loyalty.process_due()

        assert ("silver", expected) == (kept, kit.loyalty.tier(alice))
        verified(kit)

    def test_spend_tier_ignores_redemptions_and_follows_refunds(self, open_kit: OpenKit) -> None:
        """On the spend basis, spending points changes nothing; a refund lowers spend."""
        kit = open_kit(
            rk.LoyaltyProgram(currency="EUR", tiers=[rk.Tier("silver", 100)], tier_basis="spend")
        )
        alice = member(kit)
        buy(kit, alice, "o1", "120.00")
        kit.loyalty.redeem(alice, 120, idempotency_key="rw-1")
        kept = kit.loyalty.tier(alice)

        refund_order(kit, "o1", "r1", "30.00")

        assert ("silver", None) == (kept, kit.loyalty.tier(alice))
        verified(kit)

    def test_spend_tier_follows_refunds_of_orders_that_earned_nothing(
        self, open_kit: OpenKit
    ) -> None:
        """Spend counts every order, also those below the minimum to earn points: their
        refunds lower the spend tier too."""
        kit = open_kit(
            rk.LoyaltyProgram(
                currency="EUR",
                minimum_order=eur("50.00"),
                tiers=[rk.Tier("silver", 100)],
                tier_basis="spend",
            )
        )
        alice = member(kit)
        for n in range(3):
            buy(kit, alice, f"o{n}", "40.00")
        reached = kit.loyalty.tier(alice)

        refund_order(kit, "o0", "r1", "40.00")

        assert ("silver", None) == (reached, kit.loyalty.tier(alice))
        verified(kit)

"""Loyalty: refunds take back the order's points, and spent points only once."""

from __future__ import annotations

import pytest

import relationkit as rk
from relationkit.domain.ledger import Allocation, EntryKind
from relationkit.errors import InsufficientPoints
from relationkit.testing.base import OpenKit, SuiteBase
from relationkit.testing.loyalty._support import (
    PLAIN,
    buy,
    entries_of,
    kinds,
    loyalty_events,
    member,
    points_by_event,
    position,
    refund_order,
    verified,
)

__all__ = ["RefundLoyalty", "SpentPointsLoyalty"]


class RefundLoyalty(SuiteBase):
    """Failure guarded against: points kept after a refund."""

    def test_simple_program_earns_a_point_per_whole_euro(self, open_kit: OpenKit) -> None:
        """The one-line program earns floor(total) points, spendable at once, never expiring."""
        kit = open_kit(rk.LoyaltyProgram(points_per_unit=1, currency="EUR"))
        alice = member(kit)

        buy(kit, alice, "o1", "59.90")
        buy(kit, alice, "o2", "40.00", currency="USD")

        [earned] = kit.loyalty.history(alice)
        assert (EntryKind.EARN, 59, None) == (earned.kind, earned.points, earned.expires_at)
        assert ((59, 0, 0), None) == (position(kit, alice), kit.loyalty.tier(alice))
        verified(kit)

    def test_full_refund_reverses_every_point(self, open_kit: OpenKit) -> None:
        """Guards against points kept after a refund: a full refund takes back all of them."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")

        refund_order(kit, "o1", "r1", "100.00")

        assert [(EntryKind.EARN, 100), (EntryKind.REVERSE, -100)] == kinds(kit, alice)
        assert (0, 0, 0) == position(kit, alice)
        verified(kit)

    def test_partial_refunds_reverse_in_proportion_half_to_even(self, open_kit: OpenKit) -> None:
        """Guards against points kept after a partial refund: each refund takes back the
        refunded share of the order's points, the running total rounded half to even
        (2.5 -> 2, 3.5 -> 4), and the last refund takes back the rest."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        buy(kit, alice, "o1", "10.00")
        balances = []

        for n, amount in enumerate(["2.50", "1.00", "6.50"]):
            refund_order(kit, "o1", f"r{n}", amount)
            balances.append(kit.loyalty.balance(alice))

        assert [8, 6, 0] == balances
        assert [-2, -2, -6] == [e.points for e in entries_of(kit, alice, EntryKind.REVERSE)]
        verified(kit)

    def test_many_small_refunds_never_reverse_more_than_earned(self, open_kit: OpenKit) -> None:
        """Guards against reversing more than was earned: six refunds of a sixth of a
        3-point order take back 3 points in all (the running total is rounded, not each
        refund), never more at any step."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        buy(kit, alice, "o1", "3.00")
        balances = []

        for n in range(6):
            refund_order(kit, "o1", f"r{n}", "0.50")
            balances.append(kit.loyalty.balance(alice))

        assert [3, 2, 1, 1, 1, 0] == balances
        assert -3 == sum(e.points for e in entries_of(kit, alice, EntryKind.REVERSE))
        verified(kit)

    def test_refund_takes_back_the_orders_points_first_bonus_included(
        self, open_kit: OpenKit
    ) -> None:
        """A refund reverses the order's own points, including its first-purchase bonus."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", first_purchase_bonus=20))
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        buy(kit, alice, "o2", "50.00")

        refund_order(kit, "o1", "r1", "100.00")

        [reversal] = entries_of(kit, alice, EntryKind.REVERSE)
        [first, _] = entries_of(kit, alice, EntryKind.EARN)
        assert (-120, (Allocation(lot_id=first.id, points=120),)) == (
            reversal.points,
            reversal.allocations,
        )
        assert (50, 0, 0) == position(kit, alice)
        verified(kit)


class SpentPointsLoyalty(SuiteBase):
    """Failure guarded against: spent points taken a second time on a partial refund."""

    def test_refund_after_spending_leaves_a_debt_later_earnings_pay(
        self, open_kit: OpenKit
    ) -> None:
        """Guards against spent points vanishing from a refund: under the default "debt"
        policy the balance goes negative, never silently clamped to zero, and the next
        points pay the debt first."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        kit.loyalty.redeem(alice, 100, idempotency_key="rw-1")

        refund_order(kit, "o1", "r1", "50.00")
        in_debt = position(kit, alice)
        buy(kit, alice, "o2", "80.00")

        assert ((-50, 0, 50), (30, 0, 0)) == (in_debt, position(kit, alice))
        with pytest.raises(InsufficientPoints):
            kit.loyalty.redeem(alice, 31, idempotency_key="rw-2")
        kit.loyalty.redeem(alice, 30, idempotency_key="rw-3")
        assert 0 == kit.loyalty.balance(alice)
        verified(kit)

    def test_partial_refunds_after_spending_take_each_share_once(self, open_kit: OpenKit) -> None:
        """Guards against taking spent points twice: after spending, each partial refund
        takes back only its own share; a replayed refund takes nothing more."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        buy(kit, alice, "o2", "100.00")
        kit.loyalty.redeem(alice, 150, idempotency_key="rw-1")
        balances = []

        for refund_id in ["r1", "r1", "r2"]:
            refund_order(kit, "o1", refund_id, "50.00")
            balances.append(position(kit, alice))

        assert [(0, 0, 0), (0, 0, 0), (-50, 0, 50)] == balances
        assert [-50, -50] == [e.points for e in entries_of(kit, alice, EntryKind.REVERSE)]
        verified(kit)

    def test_write_off_policy_forgives_the_shortfall_in_an_adjust_entry(
        self, open_kit: OpenKit
    ) -> None:
        """Guards against a silent clamp: under "write_off" the shortfall is forgiven by an
        explicit adjust entry, so the ledger shows both the reversal and the write-off;
        the balance ends at zero."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", negative_balance="write_off"))
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        kit.loyalty.redeem(alice, 100, idempotency_key="rw-1")
        events = loyalty_events(kit)

        refund_order(kit, "o1", "r1", "50.00")

        *_, reversal, write_off = kit.loyalty.history(alice)
        assert (EntryKind.REVERSE, -50, 50) == (reversal.kind, reversal.points, reversal.debt)
        assert (EntryKind.ADJUST, 50, "write_off") == (
            write_off.kind,
            write_off.points,
            write_off.reason,
        )
        assert [("PointsReversed", 50), ("PointsAdjusted", 50)] == points_by_event(events)
        assert (0, 0, 0) == position(kit, alice)
        verified(kit)

    def test_manual_debit_past_the_balance(self, open_kit: OpenKit) -> None:
        """adjust() below zero makes a debt under "debt" and is refused under "write_off"."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        kit.loyalty.adjust(alice, -10, idempotency_key="fix-1", reason="chargeback")
        in_debt = position(kit, alice)
        kit.loyalty.configure(rk.LoyaltyProgram(currency="EUR", negative_balance="write_off"))
        bob = member(kit, "bob")

        with pytest.raises(InsufficientPoints):
            kit.loyalty.adjust(bob, -10, idempotency_key="fix-2", reason="chargeback")

        assert ((-10, 0, 10), []) == (in_debt, kit.loyalty.history(bob))
        kit.loyalty.configure(PLAIN)
        verified(kit)

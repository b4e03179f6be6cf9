"""Loyalty: pending points, locked for the return window and voided by refunds in it."""

from __future__ import annotations

import pendulum
import pytest

import relationkit as rk
from relationkit.domain.ledger import EntryKind
from relationkit.errors import InsufficientPoints
from relationkit.events import PointsActivated, PointsPending
from relationkit.testing.base import T0, OpenKit, SuiteBase
from relationkit.testing.loyalty._support import (
    SECOND,
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

__all__ = ["PendingLoyalty"]


_PENDING = rk.LoyaltyProgram(currency="EUR", pending_days=14)
_PENDING_EXPIRING = rk.LoyaltyProgram(
    currency="EUR", pending_days=14, expiry=rk.Expiry.after_days(30)
)


class PendingLoyalty(SuiteBase):
    """Pending points: locked for the return window, voided by a refund inside it."""

    def test_pending_points_are_locked_until_the_window_ends(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Points stay pending (not spendable) for pending_days, then count at once,
        whether or not process_due() has run."""
        kit = open_kit(_PENDING)
        alice = member(kit)
        events = loyalty_events(kit)
        buy(kit, alice, "o1", "100.00")
        unlock = T0.add(days=14)

        with pytest.raises(InsufficientPoints):
            kit.loyalty.redeem(alice, 1, idempotency_key="rw-1")
        clock.set(unlock - SECOND)
        before = position(kit, alice)
        clock.set(unlock)

        assert ((0, 100, 0), (100, 0, 0)) == (before, position(kit, alice))
        [pending] = events
        assert isinstance(pending, PointsPending)
        assert (100, unlock) == (pending.points, pending.available_at)
        verified(kit)

    def test_refund_inside_the_window_voids_pending_points(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """A refund in the return window voids the refunded share of the pending points;
        a full refund leaves nothing to activate."""
        kit = open_kit(_PENDING)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        [pending] = kit.loyalty.history(alice)
        events = loyalty_events(kit)

        refund_order(kit, "o1", "r1", "30.00")
        partly = position(kit, alice)
        refund_order(kit, "o1", "r2", "70.00")
        clock.advance(days=15)
        due = kit.loyalty.process_due()

        assert ((0, 70, 0), (0, 0, 0)) == (partly, position(kit, alice))
        assert [(pending.id, 30), (pending.id, 70)] == [
            (a.lot_id, a.points)
            for e in entries_of(kit, alice, EntryKind.VOID)
            for a in e.allocations
        ]
        assert ([], 0) == (entries_of(kit, alice, EntryKind.ACTIVATE), due.activated)
        assert [("PointsReversed", 30), ("PointsReversed", 70)] == points_by_event(events)
        verified(kit)

    def test_process_due_activates_pending_points_once(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """process_due() activates due points once; running it again does nothing."""
        kit = open_kit(_PENDING)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        [pending] = kit.loyalty.history(alice)
        events = loyalty_events(kit)
        clock.set(T0.add(days=14))

        first, second = kit.loyalty.process_due(), kit.loyalty.process_due()

        assert (rk.DueResult(accounts=1, activated=100), rk.DueResult()) == (first, second)
        assert [(EntryKind.PENDING, 100), (EntryKind.ACTIVATE, 100)] == kinds(kit, alice)
        [activated] = events
        assert isinstance(activated, PointsActivated)
        assert (100, pending.id) == (activated.points, activated.lot_id)
        verified(kit)

    def test_refund_after_activation_reverses_spendable_points(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Once the window is over, a refund reverses the activated points instead."""
        kit = open_kit(_PENDING)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        clock.set(T0.add(days=20))

        refund_order(kit, "o1", "r1", "40.00")

        assert [
            (EntryKind.PENDING, 100),
            (EntryKind.ACTIVATE, 100),
            (EntryKind.REVERSE, -40),
        ] == kinds(kit, alice)
        assert (60, 0, 0) == position(kit, alice)
        verified(kit)

    def test_activated_points_expire_counting_from_activation(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Activated points follow the expiry rule from the day they activate."""
        kit = open_kit(_PENDING_EXPIRING)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")  # activates Jan 19, 09:00: expires Feb 19
        clock.set(T0.add(days=14))
        kit.loyalty.process_due()

        [activation] = entries_of(kit, alice, EntryKind.ACTIVATE)
        clock.set(pendulum.datetime(2026, 2, 19, tz="UTC") - SECOND)
        before = kit.loyalty.balance(alice)
        clock.set(pendulum.datetime(2026, 2, 19, tz="UTC"))

        assert pendulum.datetime(2026, 2, 19, tz="UTC") == activation.expires_at
        assert (100, 0) == (before, kit.loyalty.balance(alice))
        verified(kit)

    def test_process_due_expires_activated_points(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """process_due() records the expiry of points that came out of the return window,
        with a PointsExpired event."""
        kit = open_kit(_PENDING_EXPIRING)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        clock.set(T0.add(days=14))
        kit.loyalty.process_due()
        events = loyalty_events(kit)
        clock.set(pendulum.datetime(2026, 2, 19, tz="UTC"))

        due = kit.loyalty.process_due()

        assert (rk.DueResult(accounts=1, expired=100), [("PointsExpired", 100)]) == (
            due,
            points_by_event(events),
        )
        verified(kit)

    def test_process_due_expires_earned_points_after_a_void(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """An account whose pending points were partly voided still has its other lots
        expired by process_due()."""
        kit = open_kit(_PENDING_EXPIRING)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        refund_order(kit, "o1", "r1", "10.00")
        kit.loyalty.earn(alice, 5, idempotency_key="goodwill")  # expires Feb 5
        clock.set(T0.add(days=14))
        kit.loyalty.process_due()  # activates 90, expiring Feb 19
        clock.set(pendulum.datetime(2026, 2, 5, tz="UTC"))

        due = kit.loyalty.process_due()

        assert (rk.DueResult(accounts=1, expired=5), 90) == (due, kit.loyalty.balance(alice))
        verified(kit)

    def test_process_due_is_idempotent_when_points_activate_already_expired(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Run late, process_due() activates and expires in one go; a second run at the
        same instant does nothing."""
        program = rk.LoyaltyProgram(
            currency="EUR",
            pending_days=14,
            expiry=rk.Expiry.after_days(30),
            tiers=[rk.Tier("silver", 1000)],  # process_due() then visits every account
        )
        kit = open_kit(program)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        clock.set(T0.add(days=90))

        first, second = kit.loyalty.process_due(), kit.loyalty.process_due()

        assert (rk.DueResult(accounts=1, activated=100, expired=100), rk.DueResult()) == (
            first,
            second,
        )
        verified(kit)

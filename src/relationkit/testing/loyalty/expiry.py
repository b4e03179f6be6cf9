"""Loyalty: expiry tied to each lot, soonest-expiring points spent first."""

from __future__ import annotations

import pendulum
import pytest

import relationkit as rk
from relationkit.domain.ledger import Allocation, EntryKind
from relationkit.errors import InsufficientPoints
from relationkit.events import PointsExpired
from relationkit.testing.base import OpenKit, SuiteBase
from relationkit.testing.loyalty._support import (
    buy,
    entries_of,
    loyalty_events,
    member,
    position,
    refund_order,
    verified,
)

__all__ = ["ExpiryLoyalty"]


_EXPIRING = rk.LoyaltyProgram(currency="EUR", expiry=rk.Expiry.after_days(30))
"""Points expire 30 days after the (UTC) day they were earned."""


class ExpiryLoyalty(SuiteBase):
    """Failure guarded against: balances that collapse when expiry is not tied to its lot."""

    def test_expiry_removes_exactly_what_is_left_of_its_lot(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Guards against balances that collapse when expiry runs: points spent from a
        lot are not expired again, expiry takes each lot's remainder, so the balance
        never drops below what the other lots hold."""
        kit = open_kit(_EXPIRING)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")  # Jan 5: expires Feb 5, 00:00 UTC
        clock.advance(days=10)
        buy(kit, alice, "o2", "100.00")  # Jan 15: expires Feb 15, 00:00 UTC
        kit.loyalty.redeem(alice, 50, idempotency_key="rw-1")
        first, second = entries_of(kit, alice, EntryKind.EARN)
        events = loyalty_events(kit)

        clock.set(pendulum.datetime(2026, 2, 5, tz="UTC"))
        february_5 = (kit.loyalty.process_due(), kit.loyalty.balance(alice))
        clock.set(pendulum.datetime(2026, 2, 15, tz="UTC"))
        february_15 = (kit.loyalty.process_due(), kit.loyalty.balance(alice))

        assert (rk.DueResult(accounts=1, expired=50), 100) == february_5
        assert (rk.DueResult(accounts=1, expired=100), 0) == february_15
        assert [(first.id, 50), (second.id, 100)] == [
            (e.lot_id, e.points) for e in events if isinstance(e, PointsExpired)
        ]
        verified(kit)

    def test_redemptions_take_the_soonest_expiring_points_first(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Guards against expiring points that should have been spent: a late webhook's
        older order expires sooner, so it is spent first, though recorded last."""
        kit = open_kit(_EXPIRING)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")  # Jan 5: expires Feb 5
        buy(kit, alice, "o2", "100.00", at=pendulum.datetime(2025, 12, 20, 9, tz="UTC"))
        old = next(e for e in kit.loyalty.history(alice) if e.source == "order:o2")

        spent = kit.loyalty.redeem(alice, 60, idempotency_key="rw-1")
        soon = (
            kit.loyalty.expiring(alice, within_days=15),
            kit.loyalty.expiring(alice, within_days=31),
        )
        clock.set(pendulum.datetime(2026, 1, 20, tz="UTC"))  # o2's points expire
        due = kit.loyalty.process_due()

        assert pendulum.datetime(2026, 1, 20, tz="UTC") == old.expires_at
        assert (Allocation(lot_id=old.id, points=60),) == spent.allocations
        assert ((40, 140), rk.DueResult(accounts=1, expired=40)) == (soon, due)
        assert 100 == kit.loyalty.balance(alice)
        verified(kit)

    def test_newer_points_that_expire_sooner_are_spent_first(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Consumption follows expiry, not age: after the program shortens its expiry,
        the newer points expire first, so they are the ones spent."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", expiry=rk.Expiry.after_days(365)))
        alice = member(kit)
        kit.loyalty.earn(alice, 100, idempotency_key="e1")  # expires January 6th, 2027
        kit.loyalty.configure(rk.LoyaltyProgram(currency="EUR", expiry=rk.Expiry.after_days(10)))
        newer = kit.loyalty.earn(alice, 100, idempotency_key="e2")  # expires January 16th

        spent = kit.loyalty.redeem(alice, 60, idempotency_key="rw-1")
        clock.set(pendulum.datetime(2026, 1, 16, tz="UTC"))
        due = kit.loyalty.process_due()

        assert (Allocation(lot_id=newer.id, points=60),) == spent.allocations
        assert (rk.DueResult(accounts=1, expired=40), 100) == (due, kit.loyalty.balance(alice))
        verified(kit)

    def test_expired_points_cannot_be_spent_before_process_due_runs(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """The balance is computed as of the clock: points past their expiry are gone even
        if process_due() has not run, and the write that notices records their expiry."""
        kit = open_kit(_EXPIRING)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        clock.set(pendulum.datetime(2026, 2, 5, tz="UTC"))

        with pytest.raises(InsufficientPoints):
            kit.loyalty.redeem(alice, 1, idempotency_key="rw-1")

        assert 0 == kit.loyalty.balance(alice)
        verified(kit)

    def test_refund_after_the_points_expired_takes_nothing_again(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Guards against a collapse: points that expired are already gone, so refunding
        the order that earned them must not take them a second time (a debt of 100
        points the member never had the use of)."""
        kit = open_kit(_EXPIRING)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        clock.set(pendulum.datetime(2026, 2, 10, tz="UTC"))
        kit.loyalty.process_due()

        refund_order(kit, "o1", "r1", "100.00")

        assert (0, 0, 0) == position(kit, alice)
        verified(kit)

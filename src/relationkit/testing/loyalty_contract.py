"""The loyalty ledger's contract: the failures loyalty systems are known for, as pytest tests.

Every test drives the public API (``relationkit.open(storage=..., clock=...,
loyalty=...)``) over a fresh store, and ends with ``kit.loyalty.verify()``
reporting no broken invariant. Subclass :class:`LoyaltyContract` (or one of
the feature classes) with a ``Test`` name and implement ``make_storage()``,
exactly as for :class:`relationkit.testing.contract.StorageContract`::

    import relationkit as rk
    from relationkit.testing.loyalty_contract import LoyaltyContract

    class TestMyStoreLoyalty(LoyaltyContract):
        def make_storage(self) -> rk.Storage:
            return MyStore()

The failures guarded against, one feature class each:

- points kept after a refund (:class:`RefundContract`);
- spent points taken a second time on a partial refund (:class:`SpentPointsContract`);
- balances that collapse when expiry is not tied to its lot (:class:`ExpiryContract`);
- tiers computed on the balance (:class:`TierContract`);
- double awards on webhook retries (:class:`IdempotencyContract`);
- gifts or redemptions that overspend a balance (:class:`OverspendContract`;
  this one is sequential, real concurrency is tested elsewhere);
- expiry off by a day across time zones (:class:`TimeZoneContract`);

and the rest of the engine: pending points, earning rules, referrals, points
used to pay an order, events, validation.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Protocol

import pendulum
import pytest

import relationkit as rk
from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry
from relationkit.domain.loyalty import DowngradePolicy
from relationkit.errors import (
    Conflict,
    IdempotencyConflict,
    InsufficientPoints,
    NotFound,
    ValidationError,
)
from relationkit.events import (
    Event,
    LoyaltyEvent,
    PointsActivated,
    PointsExpired,
    PointsPending,
    PointsRedeemed,
    PurchaseRecorded,
    TierChanged,
)
from relationkit.money import Money
from relationkit.storage.ports import Storage
from relationkit.testing.contract import T0, ContractBase

__all__ = [
    "EventsContract",
    "ExpiryContract",
    "IdempotencyContract",
    "LoyaltyContract",
    "LoyaltyContractBase",
    "OpenKit",
    "OverspendContract",
    "PendingContract",
    "PointsUsedContract",
    "ReferralContract",
    "RefundContract",
    "RulesContract",
    "SpentPointsContract",
    "TierContract",
    "TimeZoneContract",
    "ValidationContract",
]


class OpenKit(Protocol):
    """The ``open_kit`` fixture: a kit over the test's store under ``program``."""

    def __call__(self, program: rk.LoyaltyProgram, *, timezone: str = "UTC") -> rk.RelationKit: ...


_PLAIN = rk.LoyaltyProgram(currency="EUR")
_SECOND = pendulum.duration(seconds=1)

_BUG_SETTLE_SKIPS_NEW_LOTS = (
    "services/_book.py Book.settle computes the due list once: a lot opened by an "
    "activation in the same pass whose expiry has already passed is left for the next "
    "pass, so a second process_due() at the same instant expires it"
)
_BUG_REFUND_NO_RERATE = (
    "services/loyalty.py _on_refund returns before _rate() when the order has no ledger "
    "entries, and process_due() re-rates only accounts with ledger entries: a spend tier "
    "built on orders that earned no points never follows their refunds"
)
_BUG_REFUND_AFTER_EXPIRY = (
    "(policy call) services/loyalty.py _on_refund reverses the order's share whatever "
    "happened to its points: once they expired, the reversal takes other points or makes "
    "a debt, so the order costs the member twice what it earned"
)


# -- helpers ------------------------------------------------------------------


def _eur(amount: str) -> Money:
    return Money(amount, "EUR")


def _buy(
    kit: rk.RelationKit,
    customer_id: str,
    order_id: str,
    total: str = "100.00",
    *,
    at: pendulum.DateTime | None = None,
    lines: Sequence[rk.LineItem] = (),
    points_used: int = 0,
    currency: str = "EUR",
) -> rk.Purchase:
    """Record an order at ``at`` (default: now)."""
    return kit.purchases.record(
        order_id=order_id,
        customer_id=customer_id,
        occurred_at=at if at is not None else kit.clock.now(),
        total=Money(total, currency),
        lines=lines,
        points_used=points_used,
    )


def _refund(kit: rk.RelationKit, order_id: str, refund_id: str, amount: str) -> rk.Refund:
    return kit.purchases.refund(order_id, refund_id=refund_id, amount=_eur(amount))


def _member(kit: rk.RelationKit, name: str = "alice") -> str:
    """Create a customer; return their id."""
    return kit.customers.create(name=name.title(), email=f"{name}@example.com").id


def _kinds(kit: rk.RelationKit, ref: str) -> list[tuple[EntryKind, int]]:
    return [(e.kind, e.points) for e in kit.loyalty.history(ref)]


def _entries(kit: rk.RelationKit, ref: str, kind: EntryKind) -> list[LedgerEntry]:
    return [e for e in kit.loyalty.history(ref) if e.kind is kind]


def _position(kit: rk.RelationKit, ref: str) -> tuple[int, int, int]:
    """Return (balance, pending, debt) as of the clock."""
    summary = kit.loyalty.summary(ref)
    return summary.balance, summary.pending, summary.debt


def _loyalty_events(kit: rk.RelationKit) -> list[Event]:
    """Subscribe to the ledger's events and tier changes; return the list they land in."""
    seen: list[Event] = []

    def keep(event: Event) -> None:
        if isinstance(event, LoyaltyEvent | TierChanged):
            seen.append(event)

    kit.hooks.on(Event, keep)
    return seen


def _points(events: Sequence[Event]) -> list[tuple[str, int]]:
    return [(type(e).__name__, e.points) for e in events if isinstance(e, LoyaltyEvent)]


def _verified(kit: rk.RelationKit) -> None:
    """Every ledger invariant holds, for every account."""
    assert () == kit.loyalty.verify().problems


# -- the base -----------------------------------------------------------------


class LoyaltyContractBase(ContractBase):
    """Fixtures of the loyalty contract, on top of :class:`ContractBase`'s."""

    @pytest.fixture
    def open_kit(self, storage: Storage, clock: rk.FrozenClock) -> Iterator[OpenKit]:
        """A factory of kits over the test's store, timed by its clock, under a program."""
        kits: list[rk.RelationKit] = []

        def factory(program: rk.LoyaltyProgram, *, timezone: str = "UTC") -> rk.RelationKit:
            kit = rk.open(storage=storage, clock=clock, loyalty=program, timezone=timezone)
            kits.append(kit)
            return kit

        yield factory
        for kit in kits:
            kit.close()


# -- refunds --------------------------------------------------------------------


class RefundContract(LoyaltyContractBase):
    """Failure guarded against: points kept after a refund."""

    def test_simple_program_earns_a_point_per_whole_euro(self, open_kit: OpenKit) -> None:
        """The one-line program earns floor(total) points, spendable at once, never expiring."""
        kit = open_kit(rk.LoyaltyProgram(points_per_unit=1, currency="EUR"))
        alice = _member(kit)

        _buy(kit, alice, "o1", "59.90")
        _buy(kit, alice, "o2", "40.00", currency="USD")

        [earned] = kit.loyalty.history(alice)
        assert (EntryKind.EARN, 59, None) == (earned.kind, earned.points, earned.expires_at)
        assert ((59, 0, 0), None) == (_position(kit, alice), kit.loyalty.tier(alice))
        _verified(kit)

    def test_full_refund_reverses_every_point(self, open_kit: OpenKit) -> None:
        """Guards against points kept after a refund: a full refund takes back all of them."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")

        _refund(kit, "o1", "r1", "100.00")

        assert [(EntryKind.EARN, 100), (EntryKind.REVERSE, -100)] == _kinds(kit, alice)
        assert (0, 0, 0) == _position(kit, alice)
        _verified(kit)

    def test_partial_refunds_reverse_in_proportion_half_to_even(self, open_kit: OpenKit) -> None:
        """Guards against points kept after a partial refund: each refund takes back the
        refunded share of the order's points, the running total rounded half to even
        (2.5 -> 2, 3.5 -> 4), and the last refund takes back the rest."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        _buy(kit, alice, "o1", "10.00")
        balances = []

        for n, amount in enumerate(["2.50", "1.00", "6.50"]):
            _refund(kit, "o1", f"r{n}", amount)
            balances.append(kit.loyalty.balance(alice))

        assert [8, 6, 0] == balances
        assert [-2, -2, -6] == [e.points for e in _entries(kit, alice, EntryKind.REVERSE)]
        _verified(kit)

    def test_many_small_refunds_never_reverse_more_than_earned(self, open_kit: OpenKit) -> None:
        """Guards against reversing more than was earned: six refunds of a sixth of a
        3-point order take back 3 points in all (the running total is rounded, not each
        refund), never more at any step."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        _buy(kit, alice, "o1", "3.00")
        balances = []

        for n in range(6):
            _refund(kit, "o1", f"r{n}", "0.50")
            balances.append(kit.loyalty.balance(alice))

        assert [3, 2, 1, 1, 1, 0] == balances
        assert -3 == sum(e.points for e in _entries(kit, alice, EntryKind.REVERSE))
        _verified(kit)

    def test_refund_takes_back_the_orders_points_first_bonus_included(
        self, open_kit: OpenKit
    ) -> None:
        """A refund reverses the order's own points, including its first-purchase bonus."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", first_purchase_bonus=20))
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        _buy(kit, alice, "o2", "50.00")

        _refund(kit, "o1", "r1", "100.00")

        [reversal] = _entries(kit, alice, EntryKind.REVERSE)
        [first, _] = _entries(kit, alice, EntryKind.EARN)
        assert (-120, (Allocation(lot_id=first.id, points=120),)) == (
            reversal.points,
            reversal.allocations,
        )
        assert (50, 0, 0) == _position(kit, alice)
        _verified(kit)


class SpentPointsContract(LoyaltyContractBase):
    """Failure guarded against: spent points taken a second time on a partial refund."""

    def test_refund_after_spending_leaves_a_debt_later_earnings_pay(
        self, open_kit: OpenKit
    ) -> None:
        """Guards against spent points vanishing from a refund: under the default "debt"
        policy the balance goes negative, never silently clamped to zero, and the next
        points pay the debt first."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        kit.loyalty.redeem(alice, 100, idempotency_key="rw-1")

        _refund(kit, "o1", "r1", "50.00")
        in_debt = _position(kit, alice)
        _buy(kit, alice, "o2", "80.00")

        assert ((-50, 0, 50), (30, 0, 0)) == (in_debt, _position(kit, alice))
        with pytest.raises(InsufficientPoints):
            kit.loyalty.redeem(alice, 31, idempotency_key="rw-2")
        kit.loyalty.redeem(alice, 30, idempotency_key="rw-3")
        assert 0 == kit.loyalty.balance(alice)
        _verified(kit)

    def test_partial_refunds_after_spending_take_each_share_once(self, open_kit: OpenKit) -> None:
        """Guards against taking spent points twice: after spending, each partial refund
        takes back only its own share; a replayed refund takes nothing more."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        _buy(kit, alice, "o2", "100.00")
        kit.loyalty.redeem(alice, 150, idempotency_key="rw-1")
        balances = []

        for refund_id in ["r1", "r1", "r2"]:
            _refund(kit, "o1", refund_id, "50.00")
            balances.append(_position(kit, alice))

        assert [(0, 0, 0), (0, 0, 0), (-50, 0, 50)] == balances
        assert [-50, -50] == [e.points for e in _entries(kit, alice, EntryKind.REVERSE)]
        _verified(kit)

    def test_write_off_policy_forgives_the_shortfall_in_an_adjust_entry(
        self, open_kit: OpenKit
    ) -> None:
        """Guards against a silent clamp: under "write_off" the shortfall is forgiven by an
        explicit adjust entry, so the ledger shows both the reversal and the write-off;
        the balance ends at zero."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", negative_balance="write_off"))
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        kit.loyalty.redeem(alice, 100, idempotency_key="rw-1")
        events = _loyalty_events(kit)

        _refund(kit, "o1", "r1", "50.00")

        *_, reversal, write_off = kit.loyalty.history(alice)
        assert (EntryKind.REVERSE, -50, 50) == (reversal.kind, reversal.points, reversal.debt)
        assert (EntryKind.ADJUST, 50, "write_off") == (
            write_off.kind,
            write_off.points,
            write_off.reason,
        )
        assert [("PointsReversed", 50), ("PointsAdjusted", 50)] == _points(events)
        assert (0, 0, 0) == _position(kit, alice)
        _verified(kit)

    def test_manual_debit_past_the_balance(self, open_kit: OpenKit) -> None:
        """adjust() below zero makes a debt under "debt" and is refused under "write_off"."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        kit.loyalty.adjust(alice, -10, idempotency_key="fix-1", reason="chargeback")
        in_debt = _position(kit, alice)
        kit.loyalty.configure(rk.LoyaltyProgram(currency="EUR", negative_balance="write_off"))
        bob = _member(kit, "bob")

        with pytest.raises(InsufficientPoints):
            kit.loyalty.adjust(bob, -10, idempotency_key="fix-2", reason="chargeback")

        assert ((-10, 0, 10), []) == (in_debt, kit.loyalty.history(bob))
        kit.loyalty.configure(_PLAIN)
        _verified(kit)


# -- expiry -----------------------------------------------------------------------


_EXPIRING = rk.LoyaltyProgram(currency="EUR", expiry=rk.Expiry.after_days(30))
"""Points expire 30 days after the (UTC) day they were earned."""


class ExpiryContract(LoyaltyContractBase):
    """Failure guarded against: balances that collapse when expiry is not tied to its lot."""

    def test_expiry_removes_exactly_what_is_left_of_its_lot(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Guards against balances that collapse when expiry runs: points spent from a
        lot are not expired again, expiry takes each lot's remainder, so the balance
        never drops below what the other lots hold."""
        kit = open_kit(_EXPIRING)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")  # Jan 5: expires Feb 5, 00:00 UTC
        clock.advance(days=10)
        _buy(kit, alice, "o2", "100.00")  # Jan 15: expires Feb 15, 00:00 UTC
        kit.loyalty.redeem(alice, 50, idempotency_key="rw-1")
        first, second = _entries(kit, alice, EntryKind.EARN)
        events = _loyalty_events(kit)

        clock.set(pendulum.datetime(2026, 2, 5, tz="UTC"))
        february_5 = (kit.loyalty.process_due(), kit.loyalty.balance(alice))
        clock.set(pendulum.datetime(2026, 2, 15, tz="UTC"))
        february_15 = (kit.loyalty.process_due(), kit.loyalty.balance(alice))

        assert (rk.DueResult(accounts=1, expired=50), 100) == february_5
        assert (rk.DueResult(accounts=1, expired=100), 0) == february_15
        assert [(first.id, 50), (second.id, 100)] == [
            (e.lot_id, e.points) for e in events if isinstance(e, PointsExpired)
        ]
        _verified(kit)

    def test_redemptions_take_the_soonest_expiring_points_first(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Guards against expiring points that should have been spent: a late webhook's
        older order expires sooner, so it is spent first, though recorded last."""
        kit = open_kit(_EXPIRING)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")  # Jan 5: expires Feb 5
        _buy(kit, alice, "o2", "100.00", at=pendulum.datetime(2025, 12, 20, 9, tz="UTC"))
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
        _verified(kit)

    def test_newer_points_that_expire_sooner_are_spent_first(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Consumption follows expiry, not age: after the program shortens its expiry,
        the newer points expire first, so they are the ones spent."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", expiry=rk.Expiry.after_days(365)))
        alice = _member(kit)
        kit.loyalty.earn(alice, 100, idempotency_key="e1")  # expires January 6th, 2027
        kit.loyalty.configure(rk.LoyaltyProgram(currency="EUR", expiry=rk.Expiry.after_days(10)))
        newer = kit.loyalty.earn(alice, 100, idempotency_key="e2")  # expires January 16th

        spent = kit.loyalty.redeem(alice, 60, idempotency_key="rw-1")
        clock.set(pendulum.datetime(2026, 1, 16, tz="UTC"))
        due = kit.loyalty.process_due()

        assert (Allocation(lot_id=newer.id, points=60),) == spent.allocations
        assert (rk.DueResult(accounts=1, expired=40), 100) == (due, kit.loyalty.balance(alice))
        _verified(kit)

    def test_expired_points_cannot_be_spent_before_process_due_runs(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """The balance is computed as of the clock: points past their expiry are gone even
        if process_due() has not run, and the write that notices records their expiry."""
        kit = open_kit(_EXPIRING)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        clock.set(pendulum.datetime(2026, 2, 5, tz="UTC"))

        with pytest.raises(InsufficientPoints):
            kit.loyalty.redeem(alice, 1, idempotency_key="rw-1")

        assert 0 == kit.loyalty.balance(alice)
        _verified(kit)

    def test_refund_after_the_points_expired_takes_nothing_again(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Guards against a collapse: points that expired are already gone, so refunding
        the order that earned them must not take them a second time (a debt of 100
        points the member never had the use of)."""
        kit = open_kit(_EXPIRING)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        clock.set(pendulum.datetime(2026, 2, 10, tz="UTC"))
        kit.loyalty.process_due()

        _refund(kit, "o1", "r1", "100.00")

        assert (0, 0, 0) == _position(kit, alice)
        _verified(kit)


# -- pending points ------------------------------------------------------------------


_PENDING = rk.LoyaltyProgram(currency="EUR", pending_days=14)
_PENDING_EXPIRING = rk.LoyaltyProgram(
    currency="EUR", pending_days=14, expiry=rk.Expiry.after_days(30)
)


class PendingContract(LoyaltyContractBase):
    """Pending points: locked for the return window, voided by a refund inside it."""

    def test_pending_points_are_locked_until_the_window_ends(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Points stay pending (not spendable) for pending_days, then count at once,
        whether or not process_due() has run."""
        kit = open_kit(_PENDING)
        alice = _member(kit)
        events = _loyalty_events(kit)
        _buy(kit, alice, "o1", "100.00")
        unlock = T0.add(days=14)

        with pytest.raises(InsufficientPoints):
            kit.loyalty.redeem(alice, 1, idempotency_key="rw-1")
        clock.set(unlock - _SECOND)
        before = _position(kit, alice)
        clock.set(unlock)

        assert ((0, 100, 0), (100, 0, 0)) == (before, _position(kit, alice))
        [pending] = events
        assert isinstance(pending, PointsPending)
        assert (100, unlock) == (pending.points, pending.available_at)
        _verified(kit)

    def test_refund_inside_the_window_voids_pending_points(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """A refund in the return window voids the refunded share of the pending points;
        a full refund leaves nothing to activate."""
        kit = open_kit(_PENDING)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        [pending] = kit.loyalty.history(alice)
        events = _loyalty_events(kit)

        _refund(kit, "o1", "r1", "30.00")
        partly = _position(kit, alice)
        _refund(kit, "o1", "r2", "70.00")
        clock.advance(days=15)
        due = kit.loyalty.process_due()

        assert ((0, 70, 0), (0, 0, 0)) == (partly, _position(kit, alice))
        assert [(pending.id, 30), (pending.id, 70)] == [
            (a.lot_id, a.points)
            for e in _entries(kit, alice, EntryKind.VOID)
            for a in e.allocations
        ]
        assert ([], 0) == (_entries(kit, alice, EntryKind.ACTIVATE), due.activated)
        assert [("PointsReversed", 30), ("PointsReversed", 70)] == _points(events)
        _verified(kit)

    def test_process_due_activates_pending_points_once(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """process_due() activates due points once; running it again does nothing."""
        kit = open_kit(_PENDING)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        [pending] = kit.loyalty.history(alice)
        events = _loyalty_events(kit)
        clock.set(T0.add(days=14))

        first, second = kit.loyalty.process_due(), kit.loyalty.process_due()

        assert (rk.DueResult(accounts=1, activated=100), rk.DueResult()) == (first, second)
        assert [(EntryKind.PENDING, 100), (EntryKind.ACTIVATE, 100)] == _kinds(kit, alice)
        [activated] = events
        assert isinstance(activated, PointsActivated)
        assert (100, pending.id) == (activated.points, activated.lot_id)
        _verified(kit)

    def test_refund_after_activation_reverses_spendable_points(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Once the window is over, a refund reverses the activated points instead."""
        kit = open_kit(_PENDING)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        clock.set(T0.add(days=20))

        _refund(kit, "o1", "r1", "40.00")

        assert [
            (EntryKind.PENDING, 100),
            (EntryKind.ACTIVATE, 100),
            (EntryKind.REVERSE, -40),
        ] == _kinds(kit, alice)
        assert (60, 0, 0) == _position(kit, alice)
        _verified(kit)

    def test_activated_points_expire_counting_from_activation(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Activated points follow the expiry rule from the day they activate."""
        kit = open_kit(_PENDING_EXPIRING)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")  # activates Jan 19, 09:00: expires Feb 19
        clock.set(T0.add(days=14))
        kit.loyalty.process_due()

        [activation] = _entries(kit, alice, EntryKind.ACTIVATE)
        clock.set(pendulum.datetime(2026, 2, 19, tz="UTC") - _SECOND)
        before = kit.loyalty.balance(alice)
        clock.set(pendulum.datetime(2026, 2, 19, tz="UTC"))

        assert pendulum.datetime(2026, 2, 19, tz="UTC") == activation.expires_at
        assert (100, 0) == (before, kit.loyalty.balance(alice))
        _verified(kit)

    def test_process_due_expires_activated_points(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """process_due() records the expiry of points that came out of the return window,
        with a PointsExpired event."""
        kit = open_kit(_PENDING_EXPIRING)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        clock.set(T0.add(days=14))
        kit.loyalty.process_due()
        events = _loyalty_events(kit)
        clock.set(pendulum.datetime(2026, 2, 19, tz="UTC"))

        due = kit.loyalty.process_due()

        assert (rk.DueResult(accounts=1, expired=100), [("PointsExpired", 100)]) == (
            due,
            _points(events),
        )
        _verified(kit)

    def test_process_due_expires_earned_points_after_a_void(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """An account whose pending points were partly voided still has its other lots
        expired by process_due()."""
        kit = open_kit(_PENDING_EXPIRING)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        _refund(kit, "o1", "r1", "10.00")
        kit.loyalty.earn(alice, 5, idempotency_key="goodwill")  # expires Feb 5
        clock.set(T0.add(days=14))
        kit.loyalty.process_due()  # activates 90, expiring Feb 19
        clock.set(pendulum.datetime(2026, 2, 5, tz="UTC"))

        due = kit.loyalty.process_due()

        assert (rk.DueResult(accounts=1, expired=5), 90) == (due, kit.loyalty.balance(alice))
        _verified(kit)

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
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        clock.set(T0.add(days=90))

        first, second = kit.loyalty.process_due(), kit.loyalty.process_due()

        assert (rk.DueResult(accounts=1, activated=100, expired=100), rk.DueResult()) == (
            first,
            second,
        )
        _verified(kit)


# -- tiers ------------------------------------------------------------------------


_TIERED = rk.LoyaltyProgram(
    currency="EUR",
    tiers=[rk.Tier("silver", 100), rk.Tier("gold", 500, multiplier=2)],
)


class TierContract(LoyaltyContractBase):
    """Failure guarded against: tiers computed on the balance instead of points earned."""

    def test_redeeming_does_not_lower_the_tier(self, open_kit: OpenKit) -> None:
        """Guards against tiers computed on the balance: spending points leaves the tier
        alone, as it is earned, not held."""
        kit = open_kit(_TIERED)
        alice = _member(kit)
        events = _loyalty_events(kit)
        _buy(kit, alice, "o1", "150.00")

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
        _verified(kit)

    def test_expiry_does_not_lower_the_tier(self, open_kit: OpenKit, clock: rk.FrozenClock) -> None:
        """Guards against tiers computed on the balance: points that expire were still
        earned within the window, so the tier stays."""
        program = rk.LoyaltyProgram(
            currency="EUR", expiry=rk.Expiry.after_days(30), tiers=[rk.Tier("silver", 100)]
        )
        kit = open_kit(program)
        alice = _member(kit)
        _buy(kit, alice, "o1", "150.00")
        clock.set(pendulum.datetime(2026, 2, 10, tz="UTC"))

        due = kit.loyalty.process_due()

        assert (rk.DueResult(accounts=1, expired=150), "silver", 0) == (
            due,
            kit.loyalty.tier(alice),
            kit.loyalty.balance(alice),
        )
        _verified(kit)

    def test_refund_lowers_points_earned_and_the_tier(self, open_kit: OpenKit) -> None:
        """Guards against a tier kept on refunded orders: refunded points were not earned
        after all, so the tier drops, with TierChanged."""
        kit = open_kit(_TIERED)
        alice = _member(kit)
        _buy(kit, alice, "o1", "150.00")
        events = _loyalty_events(kit)

        _refund(kit, "o1", "r1", "100.00")

        assert None is kit.loyalty.tier(alice)
        assert [("silver", None)] == [
            (e.old_tier, e.new_tier) for e in events if isinstance(e, TierChanged)
        ]
        _verified(kit)

    def test_tier_multiplier_applies_to_purchases_made_in_the_tier(self, open_kit: OpenKit) -> None:
        """The purchase that reaches gold earns at the base rate; the next one earns double."""
        kit = open_kit(_TIERED)
        alice = _member(kit)

        _buy(kit, alice, "o1", "500.00")
        _buy(kit, alice, "o2", "100.00")

        assert [500, 200] == [e.points for e in _entries(kit, alice, EntryKind.EARN)]
        assert ("gold", 700) == (kit.loyalty.tier(alice), kit.loyalty.balance(alice))
        _verified(kit)

    def test_record_many_earns_what_record_earns(self, open_kit: OpenKit) -> None:
        """The bulk path follows the same rules: a batch whose first order reaches gold
        earns double on the next, as record() would."""
        kit = open_kit(_TIERED)
        alice = _member(kit)

        kit.purchases.record_many(
            [
                {
                    "order_id": "o1",
                    "customer_id": alice,
                    "occurred_at": T0,
                    "total": _eur("500.00"),
                },
                {
                    "order_id": "o2",
                    "customer_id": alice,
                    "occurred_at": T0,
                    "total": _eur("100.00"),
                },
            ]
        )

        assert ("gold", 700) == (kit.loyalty.tier(alice), kit.loyalty.balance(alice))
        _verified(kit)

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
        alice = _member(kit)
        _buy(kit, alice, "o1", "150.00")
        clock.set(T0.add(days=365) - _SECOND)
        kit.loyalty.process_due()
        kept = kit.loyalty.tier(alice)
        clock.set(T0.add(days=365))

        kit.loyalty.process_due()

        assert ("silver", expected) == (kept, kit.loyalty.tier(alice))
        _verified(kit)

    def test_spend_tier_ignores_redemptions_and_follows_refunds(self, open_kit: OpenKit) -> None:
        """On the spend basis, spending points changes nothing; a refund lowers spend."""
        kit = open_kit(
            rk.LoyaltyProgram(currency="EUR", tiers=[rk.Tier("silver", 100)], tier_basis="spend")
        )
        alice = _member(kit)
        _buy(kit, alice, "o1", "120.00")
        kit.loyalty.redeem(alice, 120, idempotency_key="rw-1")
        kept = kit.loyalty.tier(alice)

        _refund(kit, "o1", "r1", "30.00")

        assert ("silver", None) == (kept, kit.loyalty.tier(alice))
        _verified(kit)

    def test_spend_tier_follows_refunds_of_orders_that_earned_nothing(
        self, open_kit: OpenKit
    ) -> None:
        """Spend counts every order, also those below the minimum to earn points: their
        refunds lower the spend tier too."""
        kit = open_kit(
            rk.LoyaltyProgram(
                currency="EUR",
                minimum_order=_eur("50.00"),
                tiers=[rk.Tier("silver", 100)],
                tier_basis="spend",
            )
        )
        alice = _member(kit)
        for n in range(3):
            _buy(kit, alice, f"o{n}", "40.00")
        reached = kit.loyalty.tier(alice)

        _refund(kit, "o0", "r1", "40.00")

        assert ("silver", None) == (reached, kit.loyalty.tier(alice))
        _verified(kit)


# -- idempotency ----------------------------------------------------------------------


class IdempotencyContract(LoyaltyContractBase):
    """Failure guarded against: double awards on webhook retries."""

    def test_replayed_purchase_earns_once(self, open_kit: OpenKit) -> None:
        """Guards against duplicate points on webhook retries: an order delivered again,
        through record() or record_many(), earns nothing more."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        events = _loyalty_events(kit)
        first = _buy(kit, alice, "o1", "100.00", at=T0)

        again = _buy(kit, alice, "o1", "100.00", at=T0)
        bulk = kit.purchases.record_many(
            [{"order_id": "o1", "customer_id": alice, "occurred_at": T0, "total": _eur("100.00")}]
        )

        assert (first, rk.BulkResult(unchanged=1)) == (again, bulk)
        assert ([(EntryKind.EARN, 100)], [("PointsEarned", 100)]) == (
            _kinds(kit, alice),
            _points(events),
        )
        _verified(kit)

    def test_replayed_batch_earns_once(self, open_kit: OpenKit) -> None:
        """Guards against duplicate points on retried imports: a backfill run twice earns
        each order's points once."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        rows = [
            {"order_id": f"o{n}", "customer_id": alice, "occurred_at": T0, "total": _eur("10.00")}
            for n in range(3)
        ]

        results = [kit.purchases.record_many(rows), kit.purchases.record_many(rows)]

        assert [rk.BulkResult(recorded=3), rk.BulkResult(unchanged=3)] == results
        assert (30, 3) == (kit.loyalty.balance(alice), len(kit.loyalty.history(alice)))
        _verified(kit)

    def test_order_replayed_with_another_total_is_a_conflict(self, open_kit: OpenKit) -> None:
        """The same order id with another payload raises IdempotencyConflict, earning nothing."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00", at=T0)

        with pytest.raises(IdempotencyConflict) as caught:
            _buy(kit, alice, "o1", "90.00", at=T0)

        assert ("total" in caught.value.fields, 100) == (True, kit.loyalty.balance(alice))
        _verified(kit)

    def test_replayed_ledger_requests_return_the_stored_entry(self, open_kit: OpenKit) -> None:
        """Guards against duplicate ledger writes on retries: earn, redeem and adjust
        replayed with their key return the entry stored the first time and change
        nothing, even when the balance has changed since."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)

        calls: list[Callable[[], LedgerEntry]] = [
            lambda: kit.loyalty.earn(alice, 100, idempotency_key="e1", reason="welcome"),
            lambda: kit.loyalty.redeem(alice, 100, idempotency_key="r1"),
            lambda: kit.loyalty.adjust(alice, 7, idempotency_key="a1", reason="sorry"),
        ]
        firsts = [call() for call in calls]
        replays = [call() for call in calls]

        assert firsts == replays
        assert [(EntryKind.EARN, 100), (EntryKind.REDEEM, -100), (EntryKind.ADJUST, 7)] == (
            _kinds(kit, alice)
        )
        assert 7 == kit.loyalty.balance(alice)
        _verified(kit)

    def test_key_reused_with_another_payload_is_a_conflict(self, open_kit: OpenKit) -> None:
        """A key stands for one request: other points, another operation, another reason
        or another account raise IdempotencyConflict and write nothing."""
        kit = open_kit(_PLAIN)
        alice, bob = _member(kit), _member(kit, "bob")
        kit.loyalty.earn(alice, 10, idempotency_key="k1", reason="welcome")

        others: list[Callable[[], object]] = [
            lambda: kit.loyalty.earn(alice, 11, idempotency_key="k1", reason="welcome"),
            lambda: kit.loyalty.earn(alice, 10, idempotency_key="k1", reason="other"),
            lambda: kit.loyalty.redeem(alice, 10, idempotency_key="k1"),
            lambda: kit.loyalty.adjust(alice, 10, idempotency_key="k1", reason="welcome"),
            lambda: kit.loyalty.earn(bob, 10, idempotency_key="k1", reason="welcome"),
        ]
        for other in others:
            with pytest.raises(IdempotencyConflict):
                other()

        assert ([(EntryKind.EARN, 10)], []) == (_kinds(kit, alice), kit.loyalty.history(bob))
        _verified(kit)

    def test_replayed_refund_reverses_once(self, open_kit: OpenKit) -> None:
        """Guards against a retried refund reversing twice: a refund delivered again takes
        nothing more; with another amount it conflicts."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        _buy(kit, alice, "o1", "100.00")
        first = _refund(kit, "o1", "r1", "50.00")

        again = _refund(kit, "o1", "r1", "50.00")
        with pytest.raises(IdempotencyConflict):
            _refund(kit, "o1", "r1", "40.00")

        assert (first, 50) == (again, kit.loyalty.balance(alice))
        _verified(kit)


# -- overspending -------------------------------------------------------------------


class OverspendContract(LoyaltyContractBase):
    """Failure guarded against: 20 gifts from a 100-point balance crediting 2,000.

    Sequential here: every request sees the one before it committed. Concurrent
    workers are the concurrency suite's business.
    """

    def test_twenty_redemptions_never_spend_more_than_the_balance(self, open_kit: OpenKit) -> None:
        """Guards against overspending: of twenty redemptions of 10 from 100 points, ten
        succeed and ten are refused."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        kit.loyalty.earn(alice, 100, idempotency_key="seed")
        outcomes = []

        for n in range(20):
            try:
                kit.loyalty.redeem(alice, 10, idempotency_key=f"rw-{n}")
                outcomes.append("ok")
            except InsufficientPoints as refused:
                outcomes.append(f"refused, {refused.available} left")

        assert ["ok"] * 10 + ["refused, 0 left"] * 10 == outcomes
        assert (0, 0, 0) == _position(kit, alice)
        _verified(kit)

    def test_twenty_gifts_of_a_hundred_credit_a_hundred(self, open_kit: OpenKit) -> None:
        """Guards against 20 gifts from a 100-point balance crediting 2,000: a gift is a
        redemption and a credit in one transaction, so one goes through, nineteen roll
        back whole, and 100 points are credited."""
        kit = open_kit(_PLAIN)
        alice, bob = _member(kit), _member(kit, "bob")
        kit.loyalty.earn(alice, 100, idempotency_key="seed")
        refused = 0

        for n in range(20):
            try:
                with kit.transaction():
                    kit.loyalty.redeem(alice, 100, idempotency_key=f"gift-{n}-out")
                    kit.loyalty.earn(bob, 100, idempotency_key=f"gift-{n}-in", reason="gift")
            except InsufficientPoints:
                refused += 1

        assert (19, 0, 100) == (
            refused,
            kit.loyalty.balance(alice),
            kit.loyalty.balance(bob),
        )
        assert [(EntryKind.EARN, 100)] == _kinds(kit, bob)
        _verified(kit)


# -- time zones -------------------------------------------------------------------------


def _utc(year: int, month: int, day: int, hour: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, hour, tz="UTC")


# A purchase at 23:30 local time on January 31st, 2026. Expected instants worked
# out by hand: Paris is UTC+1 in winter, Los Angeles UTC-8, Auckland UTC+13
# (summer time) from January to April 5th.
_ZONE_CASES = [
    # after_days(30): the last valid local day is March 2nd; expiry at March 3rd, 00:00 local.
    ("Europe/Paris", rk.Expiry.after_days(30), _utc(2026, 3, 2, 23)),
    ("America/Los_Angeles", rk.Expiry.after_days(30), _utc(2026, 3, 3, 8)),
    ("Pacific/Auckland", rk.Expiry.after_days(30), _utc(2026, 3, 2, 11)),
    # end_of_month(): expiry at February 1st, 00:00 local (30 minutes after the purchase).
    ("Europe/Paris", rk.Expiry.end_of_month(), _utc(2026, 1, 31, 23)),
    ("America/Los_Angeles", rk.Expiry.end_of_month(), _utc(2026, 2, 1, 8)),
    ("Pacific/Auckland", rk.Expiry.end_of_month(), _utc(2026, 1, 31, 11)),
    # end_of_year(): expiry at January 1st 2027, 00:00 local.
    ("Europe/Paris", rk.Expiry.end_of_year(), _utc(2026, 12, 31, 23)),
    ("America/Los_Angeles", rk.Expiry.end_of_year(), _utc(2027, 1, 1, 8)),
    ("Pacific/Auckland", rk.Expiry.end_of_year(), _utc(2026, 12, 31, 11)),
]

# Purchases whose expiry crosses a daylight-saving change: (zone, local purchase
# time, rule, expected). Paris springs forward on March 29th, Los Angeles on
# March 8th, Auckland falls back on April 5th.
_DST_CASES = [
    # March 20th + 30 days: April 20th, 00:00 CEST (UTC+2).
    ("Europe/Paris", (2026, 3, 20, 12), rk.Expiry.after_days(30), _utc(2026, 4, 19, 22)),
    # March 1st + 10 days: March 12th, 00:00 PDT (UTC-7).
    ("America/Los_Angeles", (2026, 3, 1, 12), rk.Expiry.after_days(10), _utc(2026, 3, 12, 7)),
    # March 31st + 10 days: April 11th, 00:00 NZST (UTC+12).
    ("Pacific/Auckland", (2026, 3, 31, 12), rk.Expiry.after_days(10), _utc(2026, 4, 10, 12)),
]


class TimeZoneContract(LoyaltyContractBase):
    """Failure guarded against: expiry off by a day (or by hours) across time zones."""

    def _expires_at_local_midnight(
        self,
        open_kit: OpenKit,
        clock: rk.FrozenClock,
        zone: str,
        bought: pendulum.DateTime,
        expiry: rk.Expiry,
        expected: pendulum.DateTime,
    ) -> None:
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", expiry=expiry, timezone=zone))
        alice = _member(kit)
        clock.set(bought)
        _buy(kit, alice, "o1", "100.00")

        [earned] = kit.loyalty.history(alice)
        clock.set(expected - _SECOND)
        before = kit.loyalty.balance(alice)
        clock.set(expected)
        after = kit.loyalty.balance(alice)
        due = kit.loyalty.process_due()

        assert (expected, 100, 0) == (earned.expires_at, before, after)
        assert rk.DueResult(accounts=1, expired=100) == due
        _verified(kit)

    @pytest.mark.parametrize(
        ("zone", "expiry", "expected"),
        _ZONE_CASES,
        ids=[f"{zone}-{expiry.kind}" for zone, expiry, _ in _ZONE_CASES],
    )
    def test_late_evening_purchase_expires_at_local_midnight(
        self,
        open_kit: OpenKit,
        clock: rk.FrozenClock,
        zone: str,
        expiry: rk.Expiry,
        expected: pendulum.DateTime,
    ) -> None:
        """Guards against expiry off by a day across time zones: a purchase at 23:30
        local on January 31st (another day in UTC) expires at a local midnight."""
        bought = pendulum.datetime(2026, 1, 31, 23, 30, tz=zone)
        self._expires_at_local_midnight(open_kit, clock, zone, bought, expiry, expected)

    @pytest.mark.parametrize(
        ("zone", "local", "expiry", "expected"),
        _DST_CASES,
        ids=[zone for zone, *_ in _DST_CASES],
    )
    def test_expiry_across_a_daylight_saving_change(
        self,
        open_kit: OpenKit,
        clock: rk.FrozenClock,
        zone: str,
        local: tuple[int, int, int, int],
        expiry: rk.Expiry,
        expected: pendulum.DateTime,
    ) -> None:
        """Guards against expiry off by an hour across a daylight-saving change: counting
        days across the change still lands on local midnight."""
        bought = pendulum.datetime(*local, tz=zone)
        self._expires_at_local_midnight(open_kit, clock, zone, bought, expiry, expected)

    def test_kit_timezone_applies_when_the_program_names_none(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """rk.open(timezone=...) is the zone of calendar rules such as end-of-month expiry:
        a program that names no zone of its own follows it (in UTC, this Los Angeles
        purchase of January 31st would be a February one, expiring a month late)."""
        kit = open_kit(
            rk.LoyaltyProgram(currency="EUR", expiry=rk.Expiry.end_of_month()),
            timezone="America/Los_Angeles",
        )
        alice = _member(kit)
        clock.set(pendulum.datetime(2026, 1, 31, 23, 30, tz="America/Los_Angeles"))
        _buy(kit, alice, "o1", "100.00")

        [earned] = kit.loyalty.history(alice)

        assert _utc(2026, 2, 1, 8) == earned.expires_at
        _verified(kit)


# -- earning rules ----------------------------------------------------------------------


class RulesContract(LoyaltyContractBase):
    """Earning rules: bonuses, multipliers, minimum order and cap."""

    def test_first_purchase_bonus_comes_once(self, open_kit: OpenKit) -> None:
        """The first purchase earns the bonus on top of its points; the second does not."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", first_purchase_bonus=50))
        alice = _member(kit)

        _buy(kit, alice, "o1", "20.00")
        _buy(kit, alice, "o2", "20.00")

        assert [70, 20] == [e.points for e in _entries(kit, alice, EntryKind.EARN)]
        _verified(kit)

    def test_sku_and_category_multipliers(self, open_kit: OpenKit) -> None:
        """Each line earns at its SKU's multiplier, else its category's; a discount on the
        order is spread over the lines in proportion."""
        kit = open_kit(
            rk.LoyaltyProgram(
                currency="EUR",
                sku_multipliers={"TSHIRT": 2},
                category_multipliers={"books": 3, "shirts": Decimal("1.5")},
            )
        )
        alice = _member(kit)
        lines = [
            rk.LineItem(sku="TSHIRT", quantity=1, unit_price=_eur("10.00"), category="shirts"),
            rk.LineItem(sku="NOVEL", quantity=2, unit_price=_eur("5.00"), category="books"),
            rk.LineItem(sku="MUG", quantity=1, unit_price=_eur("20.00")),
        ]

        _buy(kit, alice, "o1", "40.00", lines=lines)  # 10*2 + 10*3 + 20*1 = 70
        _buy(kit, alice, "o2", "20.00", lines=lines)  # half price: 35

        assert [70, 35] == [e.points for e in _entries(kit, alice, EntryKind.EARN)]
        _verified(kit)

    def test_minimum_order_and_cap(self, open_kit: OpenKit) -> None:
        """Orders below the minimum earn nothing; no order earns more than the cap."""
        kit = open_kit(
            rk.LoyaltyProgram(currency="EUR", minimum_order=_eur("10.00"), max_points_per_order=50)
        )
        alice = _member(kit)

        for n, total in enumerate(["9.99", "10.00", "100.00"]):
            _buy(kit, alice, f"o{n}", total)

        assert [10, 50] == [e.points for e in _entries(kit, alice, EntryKind.EARN)]
        _verified(kit)

    def test_cap_includes_the_bonus(self, open_kit: OpenKit) -> None:
        """The cap applies to an order's points bonuses included."""
        kit = open_kit(
            rk.LoyaltyProgram(currency="EUR", first_purchase_bonus=20, max_points_per_order=50)
        )
        alice = _member(kit)

        _buy(kit, alice, "o1", "40.00")

        assert 50 == kit.loyalty.balance(alice)
        _verified(kit)


class ReferralContract(LoyaltyContractBase):
    """Referrals: bonuses on the referred account's first purchase, once."""

    _PROGRAM = rk.LoyaltyProgram(currency="EUR", referral_bonus=30, referred_bonus=20)

    def test_referral_bonuses_come_with_the_first_purchase(self, open_kit: OpenKit) -> None:
        """The referrer and the referred member get their bonus on the first purchase only."""
        kit = open_kit(self._PROGRAM)
        alice, bob = _member(kit), _member(kit, "bob")
        kit.loyalty.refer(alice, bob)

        _buy(kit, bob, "o1", "10.00")
        _buy(kit, bob, "o2", "10.00")

        assert (30, 40) == (kit.loyalty.balance(alice), kit.loyalty.balance(bob))
        _verified(kit)

    def test_self_referral_is_rejected(self, open_kit: OpenKit) -> None:
        """Nobody refers themselves, nor a colleague of the same company account."""
        kit = open_kit(self._PROGRAM)
        alice = _member(kit)
        acme = kit.accounts.create(name="ACME SA", kind=rk.AccountKind.B2B)
        buyer = kit.customers.create(name="Buyer", account_id=acme.id, role="buyer")
        boss = kit.customers.create(name="Boss", account_id=acme.id, role="owner")

        with pytest.raises(ValidationError):
            kit.loyalty.refer(alice, alice)
        with pytest.raises(ValidationError):
            kit.loyalty.refer(buyer.id, boss.id)
        _buy(kit, alice, "o1", "10.00")

        assert 10 == kit.loyalty.balance(alice)
        _verified(kit)

    def test_second_referrer_is_rejected(self, open_kit: OpenKit) -> None:
        """A member is referred once: another referrer is a Conflict, the same one again
        changes nothing, and only the first referrer is rewarded."""
        kit = open_kit(self._PROGRAM)
        alice, bob, carol = _member(kit), _member(kit, "bob"), _member(kit, "carol")
        kit.loyalty.refer(alice, bob)

        with pytest.raises(Conflict):
            kit.loyalty.refer(carol, bob)
        kit.loyalty.refer(alice, bob)
        _buy(kit, bob, "o1", "10.00")

        assert (30, 0, 30) == (
            kit.loyalty.balance(alice),
            kit.loyalty.balance(carol),
            kit.loyalty.balance(bob),
        )
        _verified(kit)

    def test_referral_after_a_purchase_is_rejected(self, open_kit: OpenKit) -> None:
        """Referrals come before the first purchase: afterwards they are a Conflict."""
        kit = open_kit(self._PROGRAM)
        alice, bob = _member(kit), _member(kit, "bob")
        _buy(kit, bob, "o1", "10.00")

        with pytest.raises(Conflict):
            kit.loyalty.refer(alice, bob)

        assert (0, 10) == (kit.loyalty.balance(alice), kit.loyalty.balance(bob))
        _verified(kit)


class PointsUsedContract(LoyaltyContractBase):
    """Points used to pay an order: redeemed with it, given back once on refunds."""

    def test_points_used_are_redeemed_with_the_purchase(self, open_kit: OpenKit) -> None:
        """points_used is a redemption in the purchase's transaction; the order still earns."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        kit.loyalty.earn(alice, 100, idempotency_key="seed")

        _buy(kit, alice, "o1", "50.00", points_used=40)

        *_, spent, earned = kit.loyalty.history(alice)
        assert [(EntryKind.REDEEM, -40, "order:o1"), (EntryKind.EARN, 50, "order:o1")] == [
            (e.kind, e.points, e.source) for e in (spent, earned)
        ]
        assert 110 == kit.loyalty.balance(alice)
        _verified(kit)

    def test_points_used_beyond_the_balance_rolls_back_the_purchase(
        self, open_kit: OpenKit
    ) -> None:
        """Guards against a half-recorded order: InsufficientPoints undoes the whole
        purchase (no order, no points, no event), and the order can then be recorded."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        kit.loyalty.earn(alice, 30, idempotency_key="seed")
        seen: list[Event] = []
        kit.hooks.on(Event, seen.append)

        with pytest.raises(InsufficientPoints):
            _buy(kit, alice, "o1", "50.00", points_used=40)
        with pytest.raises(NotFound):
            kit.purchases.get("o1")
        untouched = (kit.loyalty.balance(alice), len(kit.loyalty.history(alice)), seen[:])
        _buy(kit, alice, "o1", "50.00", points_used=30)

        assert (30, 1, []) == untouched
        assert 50 == kit.loyalty.balance(alice)
        assert ["o1"] == [e.order_id for e in seen if isinstance(e, PurchaseRecorded)]
        _verified(kit)

    def test_refunds_give_points_used_back_exactly_once(self, open_kit: OpenKit) -> None:
        """Guards against points used being returned twice or never: refunds give back
        the refunded share of the points used and take back the same share of the points
        earned; in total the 40 points come back once."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        kit.loyalty.earn(alice, 100, idempotency_key="seed")
        _buy(kit, alice, "o1", "50.00", points_used=40)  # 100 - 40 + 50 = 110
        balances = []

        for refund_id in ["r1", "r1", "r2"]:
            _refund(kit, "o1", refund_id, "25.00")
            balances.append(kit.loyalty.balance(alice))

        assert [105, 105, 100] == balances
        assert [20, 20] == [
            e.points for e in _entries(kit, alice, EntryKind.REVERSE) if e.points > 0
        ]
        _verified(kit)

    def test_record_many_redeems_points_used_row_by_row(self, open_kit: OpenKit) -> None:
        """In a batch, each row's points_used is checked against the balance so far; one
        row that cannot pay rolls back its whole batch."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        kit.loyalty.earn(alice, 10, idempotency_key="seed")

        def row(order_id: str, used: int) -> dict[str, Any]:
            return {
                "order_id": order_id,
                "customer_id": alice,
                "occurred_at": T0,
                "total": _eur("20.00"),
                "points_used": used,
            }

        with pytest.raises(InsufficientPoints):
            kit.purchases.record_many([row("o1", 10), row("o2", 40)])
        unchanged = (kit.loyalty.balance(alice), kit.purchases.count())
        kit.purchases.record_many([row("o1", 10), row("o2", 20)])

        assert ((10, 0), 20) == (unchanged, kit.loyalty.balance(alice))
        _verified(kit)


# -- events -------------------------------------------------------------------------------


class EventsContract(LoyaltyContractBase):
    """The ledger's events: one per entry, dispatched after the commit that made it true."""

    def test_each_ledger_change_is_announced_after_commit(
        self, open_kit: OpenKit, clock: rk.FrozenClock
    ) -> None:
        """Pending, activated, tier, redeemed, reversed, earned and expired points each get
        their event, in order; a handler already reads the committed entry or tier."""
        kit = open_kit(
            rk.LoyaltyProgram(
                currency="EUR",
                pending_days=14,
                expiry=rk.Expiry.after_days(30),
                tiers=[rk.Tier("silver", 50)],
            )
        )
        alice = _member(kit)
        seen: list[tuple[Any, ...]] = []

        def points(event: LoyaltyEvent) -> None:
            stored = {e.id for e in kit.loyalty.history(event.aggregate_id)}
            seen.append((type(event).__name__, event.points, event.entry_id in stored))

        def tier(event: TierChanged) -> None:
            now = kit.loyalty.tier(event.aggregate_id)
            seen.append(("TierChanged", event.old_tier, event.new_tier, now == event.new_tier))

        kit.hooks.on(LoyaltyEvent, points)
        kit.hooks.on(TierChanged, tier)

        _buy(kit, alice, "o1", "100.00")
        clock.set(T0.add(days=14))  # activates; expires Feb 19
        kit.loyalty.process_due()
        kit.loyalty.redeem(alice, 10, idempotency_key="rw-1")
        _refund(kit, "o1", "r1", "50.00")
        kit.loyalty.earn(alice, 5, idempotency_key="goodwill")  # expires Feb 19 too
        clock.set(pendulum.datetime(2026, 2, 19, tz="UTC"))
        kit.loyalty.process_due()

        assert [
            ("PointsPending", 100, True),
            ("PointsActivated", 100, True),
            ("TierChanged", None, "silver", True),
            ("PointsRedeemed", 10, True),
            ("PointsReversed", 50, True),
            ("PointsEarned", 5, True),
            ("PointsExpired", 40, True),
            ("PointsExpired", 5, True),
        ] == seen
        _verified(kit)

    def test_no_event_for_a_rolled_back_change(self, open_kit: OpenKit) -> None:
        """A transaction that fails emits nothing, writes nothing and frees its keys."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        events = _loyalty_events(kit)

        def earn_then_overspend() -> None:
            with kit.transaction():
                kit.loyalty.earn(alice, 10, idempotency_key="e1")
                kit.loyalty.redeem(alice, 50, idempotency_key="r1")

        with pytest.raises(InsufficientPoints):
            earn_then_overspend()
        rolled_back = (events[:], kit.loyalty.history(alice))
        kit.loyalty.earn(alice, 10, idempotency_key="e1")

        assert ([], []) == rolled_back
        assert [("PointsEarned", 10)] == _points(events)
        _verified(kit)

    def test_events_wait_for_the_outermost_commit(self, open_kit: OpenKit) -> None:
        """Inside kit.transaction() nothing is dispatched; all of it comes at the commit."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        events = _loyalty_events(kit)

        with kit.transaction():
            kit.loyalty.earn(alice, 10, idempotency_key="e1")
            kit.loyalty.redeem(alice, 4, idempotency_key="r1")
            inside = events[:]

        assert ([], [("PointsEarned", 10), ("PointsRedeemed", 4)]) == (inside, _points(events))
        assert isinstance(events[1], PointsRedeemed)
        assert "r1" == events[1].idempotency_key
        _verified(kit)


# -- validation -----------------------------------------------------------------------------


_BAD_POINTS: list[object] = [0, -5, True, 2.5, "10", None]
_BAD_KEYS: list[object] = ["", "   ", None, 5, "x" * 129]


class ValidationContract(LoyaltyContractBase):
    """Bad input raises ValidationError naming the field, before anything is written."""

    @pytest.mark.parametrize("points", _BAD_POINTS, ids=repr)
    def test_bad_points_are_rejected(self, open_kit: OpenKit, points: Any) -> None:
        """Zero, negative, boolean, float, string and missing points are rejected by earn
        and redeem (adjust accepts negatives only); the key stays free."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        fields = []

        calls: list[Callable[[], object]] = [
            lambda: kit.loyalty.earn(alice, points, idempotency_key="k"),
            lambda: kit.loyalty.redeem(alice, points, idempotency_key="k"),
        ]
        if points != -5:
            calls.append(lambda: kit.loyalty.adjust(alice, points, idempotency_key="k", reason="x"))
        for call in calls:
            with pytest.raises(ValidationError) as caught:
                call()
            fields.append(caught.value.field)
        kit.loyalty.earn(alice, 1, idempotency_key="k")

        assert ["points"] * len(calls) == fields
        assert [(EntryKind.EARN, 1)] == _kinds(kit, alice)
        _verified(kit)

    @pytest.mark.parametrize("key", _BAD_KEYS, ids=lambda key: repr(key)[:12])
    def test_bad_keys_are_rejected(self, open_kit: OpenKit, key: Any) -> None:
        """An empty, blank, missing, non-string or over-long key is rejected."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        fields = []

        calls: list[Callable[[], object]] = [
            lambda: kit.loyalty.earn(alice, 10, idempotency_key=key),
            lambda: kit.loyalty.redeem(alice, 10, idempotency_key=key),
            lambda: kit.loyalty.adjust(alice, 10, idempotency_key=key, reason="x"),
        ]
        for call in calls:
            with pytest.raises(ValidationError) as caught:
                call()
            fields.append(caught.value.field)

        assert (["idempotency_key"] * 3, []) == (fields, kit.loyalty.history(alice))
        _verified(kit)

    def test_reason_and_points_used_are_checked(self, open_kit: OpenKit) -> None:
        """adjust needs a reason; points_used must be a non-negative integer."""
        kit = open_kit(_PLAIN)
        alice = _member(kit)
        fields = []

        calls: list[Callable[[], object]] = [
            lambda: kit.loyalty.adjust(alice, 5, idempotency_key="k", reason=" "),
            lambda: _buy(kit, alice, "o1", points_used=-1),
            lambda: _buy(kit, alice, "o1", points_used=True),
        ]
        for call in calls:
            with pytest.raises(ValidationError) as caught:
                call()
            fields.append(caught.value.field)

        assert ["reason", "points_used", "points_used"] == fields
        assert ([], 0) == (kit.loyalty.history(alice), kit.purchases.count())
        _verified(kit)

    def test_bad_programs_are_rejected(self, open_kit: OpenKit) -> None:
        """Programs are validated when built; configure() takes only a LoyaltyProgram."""
        kit = open_kit(_PLAIN)
        fields = []

        builds: list[Callable[[], object]] = [
            lambda: rk.LoyaltyProgram(currency="EUR", pending_days=-1),
            lambda: rk.LoyaltyProgram(currency="XXX1"),
            lambda: rk.LoyaltyProgram(currency="EUR", timezone="Mars/Olympus"),
            lambda: rk.LoyaltyProgram(currency="EUR", points_per_unit=1.5),
            lambda: rk.Tier("gold", -1),
            lambda: rk.Expiry.after_days(0),
            lambda: kit.loyalty.configure("gold"),  # type: ignore[arg-type]
        ]
        for build in builds:
            with pytest.raises(ValidationError) as caught:
                build()
            fields.append(caught.value.field)

        assert [
            "pending_days",
            "currency",
            "timezone",
            "points_per_unit",
            "tier.threshold",
            "expiry",
            "program",
        ] == fields
        assert _PLAIN == kit.loyalty.program


# -- everything ----------------------------------------------------------------------------


class LoyaltyContract(
    RefundContract,
    SpentPointsContract,
    ExpiryContract,
    PendingContract,
    TierContract,
    IdempotencyContract,
    OverspendContract,
    TimeZoneContract,
    RulesContract,
    ReferralContract,
    PointsUsedContract,
    EventsContract,
    ValidationContract,
):
    """The whole loyalty contract: subclass it with a ``Test`` name and implement
    make_storage()."""

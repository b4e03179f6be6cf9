"""Behaviour: the events the kit dispatches.

Per-account sequence numbers (1, 2, 3, ... with no gap, across kits and
rollbacks) and the loyalty ledger's events (one per entry, after the
commit that made it true). The two event classes of the old suite
(``contract.EventsContract`` and ``loyalty_contract.EventsContract``) are
merged here.
"""

from __future__ import annotations

from typing import Any

import pendulum
import pytest

import relationkit as rk
from relationkit.errors import InsufficientPoints
from relationkit.events import (
    AccountCreated,
    ContactAdded,
    CustomerCreated,
    Event,
    LoyaltyEvent,
    PointsRedeemed,
    StageChanged,
    TierChanged,
)
from relationkit.storage.ports import Storage
from relationkit.testing.base import T0, Boom, OpenKit, SuiteBase
from relationkit.testing.behaviour._support import buy, sequences
from relationkit.testing.loyalty._support import (
    PLAIN,
    loyalty_events,
    member,
    points_by_event,
    refund_order,
    verified,
)

__all__ = ["EventBehaviour"]


class EventBehaviour(SuiteBase):
    """Event sequences per account, and the loyalty ledger's events."""

    def test_sequences_are_gap_free_per_account(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Each account's events number 1..n whatever else happens in between."""
        alice = kit.customers.create(name="Alice")
        acme = kit.accounts.create(name="ACME")
        bob = kit.customers.create(name="Bob", account_id=acme.id, role="buyer")
        buy(kit, alice.id, "a1")
        buy(kit, bob.id, "b1")
        kit.lifecycle.move(alice.id, "loyal")
        kit.interactions.log(bob.id, channel="email", direction="inbound")

        for account_id in (alice.account_id, acme.id):
            numbers = sequences(events, account_id)
            assert list(range(1, len(numbers) + 1)) == numbers
        assert [AccountCreated, StageChanged, CustomerCreated, ContactAdded] == [
            type(e) for e in events if e.aggregate_id == acme.id
        ][:4]

    def test_account_version_is_the_last_sequence(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Account.version is the sequence number of its last committed event."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "a1")

        assert events[-1].sequence == kit.accounts.get(alice.id).version

    def test_rolled_back_work_leaves_no_gap(self, kit: rk.RelationKit, events: list[Event]) -> None:
        """After a rolled-back transaction, the next event takes the next committed number."""
        alice = kit.customers.create(name="Alice")

        def work() -> None:
            with kit.transaction():
                kit.interactions.log(alice.id, channel="email", direction="outbound")
                raise Boom

        with pytest.raises(Boom):
            work()

        kit.interactions.log(alice.id, channel="phone", direction="outbound")

        assert [1, 2, 3, 4] == sequences(events, alice.account_id)

    def test_sequences_continue_in_a_new_kit(
        self, kit: rk.RelationKit, storage: Storage, clock: rk.FrozenClock
    ) -> None:
        """A second kit over the same store continues each account's sequence."""
        alice = kit.customers.create(name="Alice")
        kit.close()
        again = rk.open(storage=storage, clock=clock)
        seen: list[Event] = []
        again.hooks.on(Event, seen.append)

        again.interactions.log(alice.id, channel="email", direction="outbound")
        again.close()

        assert [4] == [e.sequence for e in seen]

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
        alice = member(kit)
        seen: list[tuple[Any, ...]] = []

        def points(event: LoyaltyEvent) -> None:
            stored = {e.id for e in kit.loyalty.history(event.aggregate_id)}
            seen.append((type(event).__name__, event.points, event.entry_id in stored))

        def tier(event: TierChanged) -> None:
            now = kit.loyalty.tier(event.aggregate_id)
            seen.append(("TierChanged", event.old_tier, event.new_tier, now == event.new_tier))

        kit.hooks.on(LoyaltyEvent, points)
        kit.hooks.on(TierChanged, tier)

        buy(kit, alice, "o1", "100.00")
        clock.set(T0.add(days=14))  # activates; expires Feb 19
        kit.loyalty.process_due()
        kit.loyalty.redeem(alice, 10, idempotency_key="rw-1")
        refund_order(kit, "o1", "r1", "50.00")
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
        verified(kit)

    def test_no_event_for_a_rolled_back_change(self, open_kit: OpenKit) -> None:
        """A transaction that fails emits nothing, writes nothing and frees its keys."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        events = loyalty_events(kit)

        def earn_then_overspend() -> None:
            with kit.transaction():
                kit.loyalty.earn(alice, 10, idempotency_key="e1")
                kit.loyalty.redeem(alice, 50, idempotency_key="r1")

        with pytest.raises(InsufficientPoints):
            earn_then_overspend()
        rolled_back = (events[:], kit.loyalty.history(alice))
        kit.loyalty.earn(alice, 10, idempotency_key="e1")

        assert ([], []) == rolled_back
        assert [("PointsEarned", 10)] == points_by_event(events)
        verified(kit)

    def test_events_wait_for_the_outermost_commit(self, open_kit: OpenKit) -> None:
        """Inside kit.transaction() nothing is dispatched; all of it comes at the commit."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        events = loyalty_events(kit)

        with kit.transaction():
            kit.loyalty.earn(alice, 10, idempotency_key="e1")
            kit.loyalty.redeem(alice, 4, idempotency_key="r1")
            inside = events[:]

        assert ([], [("PointsEarned", 10), ("PointsRedeemed", 4)]) == (
            inside,
            points_by_event(events),
        )
        assert isinstance(events[1], PointsRedeemed)
        assert "r1" == events[1].idempotency_key
        verified(kit)

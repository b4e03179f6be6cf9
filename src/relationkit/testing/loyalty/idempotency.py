"""Loyalty: retried requests never award, spend or reverse twice."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import relationkit as rk
from relationkit.domain.ledger import EntryKind, LedgerEntry
from relationkit.errors import IdempotencyConflict, InsufficientPoints
from relationkit.testing.base import T0, Boom, OpenKit, SuiteBase, eur
from relationkit.testing.loyalty._support import (
    PLAIN,
    buy,
    kinds,
    loyalty_events,
    member,
    points_by_event,
    position,
    refund_order,
    verified,
)
from relationkit.testing.requirements import requires

__all__ = ["IdempotencyLoyalty", "NestedLoyalty", "OverspendLoyalty"]


class IdempotencyLoyalty(SuiteBase):
    """Failure guarded against: double awards on webhook retries."""

    def test_replayed_purchase_earns_once(self, open_kit: OpenKit) -> None:
        """Guards against duplicate points on webhook retries: an order delivered again,
        through record() or record_many(), earns nothing more."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        events = loyalty_events(kit)
        first = buy(kit, alice, "o1", "100.00", at=T0)

        again = buy(kit, alice, "o1", "100.00", at=T0)
        bulk = kit.purchases.record_many(
            [{"order_id": "o1", "customer_id": alice, "occurred_at": T0, "total": eur("100.00")}]
        )

        assert (first, rk.BulkResult(unchanged=1)) == (again, bulk)
        assert ([(EntryKind.EARN, 100)], [("PointsEarned", 100)]) == (
            kinds(kit, alice),
            points_by_event(events),
        )
        verified(kit)

    def test_replayed_batch_earns_once(self, open_kit: OpenKit) -> None:
        """Guards against duplicate points on retried imports: a backfill run twice earns
        each order's points once."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        rows = [
            {"order_id": f"o{n}", "customer_id": alice, "occurred_at": T0, "total": eur("10.00")}
            for n in range(3)
        ]

        results = [kit.purchases.record_many(rows), kit.purchases.record_many(rows)]

        assert [rk.BulkResult(recorded=3), rk.BulkResult(unchanged=3)] == results
        assert (30, 3) == (kit.loyalty.balance(alice), len(kit.loyalty.history(alice)))
        verified(kit)

    def test_order_replayed_with_another_total_is_a_conflict(self, open_kit: OpenKit) -> None:
        """The same order id with another payload raises IdempotencyConflict, earning nothing."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00", at=T0)

        with pytest.raises(IdempotencyConflict) as caught:
            buy(kit, alice, "o1", "90.00", at=T0)

        assert ("total" in caught.value.fields, 100) == (True, kit.loyalty.balance(alice))
        verified(kit)

    def test_replayed_ledger_requests_return_the_stored_entry(self, open_kit: OpenKit) -> None:
        """Guards against duplicate ledger writes on retries: earn, redeem and adjust
        replayed with their key return the entry stored the first time and change
        nothing, even when the balance has changed since."""
        kit = open_kit(PLAIN)
        alice = member(kit)

        calls: list[Callable[[], LedgerEntry]] = [
            lambda: kit.loyalty.earn(alice, 100, idempotency_key="e1", reason="welcome"),
            lambda: kit.loyalty.redeem(alice, 100, idempotency_key="r1"),
            lambda: kit.loyalty.adjust(alice, 7, idempotency_key="a1", reason="sorry"),
        ]
        firsts = [call() for call in calls]
        replays = [call() for call in calls]

        assert firsts == replays
        assert [(EntryKind.EARN, 100), (EntryKind.REDEEM, -100), (EntryKind.ADJUST, 7)] == (
            kinds(kit, alice)
        )
        assert 7 == kit.loyalty.balance(alice)
        verified(kit)

    def test_key_reused_with_another_payload_is_a_conflict(self, open_kit: OpenKit) -> None:
        """A key stands for one request: other points, another operation, another reason
        or another account raise IdempotencyConflict and write nothing."""
        kit = open_kit(PLAIN)
        alice, bob = member(kit), member(kit, "bob")
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

        assert ([(EntryKind.EARN, 10)], []) == (kinds(kit, alice), kit.loyalty.history(bob))
        verified(kit)

    def test_replayed_refund_reverses_once(self, open_kit: OpenKit) -> None:
        """Guards against a retried refund reversing twice: a refund delivered again takes
        nothing more; with another amount it conflicts."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        buy(kit, alice, "o1", "100.00")
        first = refund_order(kit, "o1", "r1", "50.00")

        again = refund_order(kit, "o1", "r1", "50.00")
        with pytest.raises(IdempotencyConflict):
            refund_order(kit, "o1", "r1", "40.00")

        assert (first, 50) == (again, kit.loyalty.balance(alice))
        verified(kit)


class NestedLoyalty(SuiteBase):
    """Failure guarded against: a rolled-back inner block leaving its balance behind."""

    @requires("savepoints")
    def test_an_undone_inner_redemption_leaves_the_balance_it_found(
        self, open_kit: OpenKit
    ) -> None:
        """A redemption inside a nested block that fails is undone with it; the
        outer block's next redemption spends from the balance before it."""
        kit = open_kit(PLAIN)
        alice = member(kit)

        def inner() -> None:
            with kit.transaction():
                kit.loyalty.redeem(alice, 5, idempotency_key="r1")
                raise Boom

        with kit.transaction():
            kit.loyalty.earn(alice, 10, idempotency_key="e1")
            with pytest.raises(Boom):
                inner()
            kit.loyalty.redeem(alice, 3, idempotency_key="r2")

        assert 7 == kit.loyalty.balance(alice)
        verified(kit)


class OverspendLoyalty(SuiteBase):
    """Failure guarded against: 20 gifts from a 100-point balance crediting 2,000.

    Sequential here: every request sees the one before it committed. Concurrent
    workers are the concurrency tests' business.
    """

    def test_twenty_redemptions_never_spend_more_than_the_balance(self, open_kit: OpenKit) -> None:
        """Guards against overspending: of twenty redemptions of 10 from 100 points, ten
        succeed and ten are refused."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        kit.loyalty.earn(alice, 100, idempotency_key="seed")
        outcomes = []

        for n in range(20):
            try:
                kit.loyalty.redeem(alice, 10, idempotency_key=f"rw-{n}")
                outcomes.append("ok")
            except InsufficientPoints as refused:
                outcomes.append(f"refused, {refused.available} left")

        assert ["ok"] * 10 + ["refused, 0 left"] * 10 == outcomes
        assert (0, 0, 0) == position(kit, alice)
        verified(kit)

    def test_twenty_gifts_of_a_hundred_credit_a_hundred(self, open_kit: OpenKit) -> None:
        """Guards against 20 gifts from a 100-point balance crediting 2,000: a gift is a
        redemption and a credit in one transaction, so one goes through, nineteen roll
        back whole, and 100 points are credited."""
        kit = open_kit(PLAIN)
        alice, bob = member(kit), member(kit, "bob")
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
        assert [(EntryKind.EARN, 100)] == kinds(kit, bob)
        verified(kit)

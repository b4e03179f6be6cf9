"""Loyalty: earning rules, referrals and points used to pay an order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import relationkit as rk
from relationkit.domain.ledger import EntryKind
from relationkit.errors import Conflict, InsufficientPoints, NotFound, ValidationError
from relationkit.events import (
    Event,
    PurchaseRecorded,
)
from relationkit.testing.base import T0, OpenKit, SuiteBase, eur
from relationkit.testing.loyalty._support import (
    PLAIN,
    buy,
    entries_of,
    member,
    refund_order,
    verified,
)

__all__ = ["EarningRuleLoyalty", "PointsUsedLoyalty", "ReferralLoyalty"]


class EarningRuleLoyalty(SuiteBase):
    """Earning rules: bonuses, multipliers, minimum order and cap."""

    def test_first_purchase_bonus_comes_once(self, open_kit: OpenKit) -> None:
        """The first purchase earns the bonus on top of its points; the second does not."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", first_purchase_bonus=50))
        alice = member(kit)

        buy(kit, alice, "o1", "20.00")
        buy(kit, alice, "o2", "20.00")

        assert [70, 20] == [e.points for e in entries_of(kit, alice, EntryKind.EARN)]
        verified(kit)

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
        alice = member(kit)
        lines = [
            rk.LineItem(sku="TSHIRT", quantity=1, unit_price=eur("10.00"), category="shirts"),
            rk.LineItem(sku="NOVEL", quantity=2, unit_price=eur("5.00"), category="books"),
            rk.LineItem(sku="MUG", quantity=1, unit_price=eur("20.00")),
        ]

        buy(kit, alice, "o1", "40.00", lines=lines)  # 10*2 + 10*3 + 20*1 = 70
        buy(kit, alice, "o2", "20.00", lines=lines)  # half price: 35

        assert [70, 35] == [e.points for e in entries_of(kit, alice, EntryKind.EARN)]
        verified(kit)

    def test_minimum_order_and_cap(self, open_kit: OpenKit) -> None:
        """Orders below the minimum earn nothing; no order earns more than the cap."""
        kit = open_kit(
            rk.LoyaltyProgram(currency="EUR", minimum_order=eur("10.00"), max_points_per_order=50)
        )
        alice = member(kit)

        for n, total in enumerate(["9.99", "10.00", "100.00"]):
            buy(kit, alice, f"o{n}", total)

        assert [10, 50] == [e.points for e in entries_of(kit, alice, EntryKind.EARN)]
        verified(kit)

    def test_cap_includes_the_bonus(self, open_kit: OpenKit) -> None:
        """The cap applies to an order's points bonuses included."""
        kit = open_kit(
            rk.LoyaltyProgram(currency="EUR", first_purchase_bonus=20, max_points_per_order=50)
        )
        alice = member(kit)

        buy(kit, alice, "o1", "40.00")

        assert 50 == kit.loyalty.balance(alice)
        verified(kit)


class ReferralLoyalty(SuiteBase):
    """Referrals: bonuses on the referred account's first purchase, once."""

    _PROGRAM = rk.LoyaltyProgram(currency="EUR", referral_bonus=30, referred_bonus=20)

    def test_referral_bonuses_come_with_the_first_purchase(self, open_kit: OpenKit) -> None:
        """The referrer and the referred member get their bonus on the first purchase only."""
        kit = open_kit(self._PROGRAM)
        alice, bob = member(kit), member(kit, "bob")
        kit.loyalty.refer(alice, bob)

        buy(kit, bob, "o1", "10.00")
        buy(kit, bob, "o2", "10.00")

        assert (30, 40) == (kit.loyalty.balance(alice), kit.loyalty.balance(bob))
        verified(kit)

    def test_self_referral_is_rejected(self, open_kit: OpenKit) -> None:
        """Nobody refers themselves, nor a colleague of the same company account."""
        kit = open_kit(self._PROGRAM)
        alice = member(kit)
        acme = kit.accounts.create(name="ACME SA", kind=rk.AccountKind.B2B)
        buyer = kit.customers.create(name="Buyer", account_id=acme.id, role="buyer")
        boss = kit.customers.create(name="Boss", account_id=acme.id, role="owner")

        with pytest.raises(ValidationError):
            kit.loyalty.refer(alice, alice)
        with pytest.raises(ValidationError):
            kit.loyalty.refer(buyer.id, boss.id)
        buy(kit, alice, "o1", "10.00")

        assert 10 == kit.loyalty.balance(alice)
        verified(kit)

    def test_second_referrer_is_rejected(self, open_kit: OpenKit) -> None:
        """A member is referred once: another referrer is a Conflict, the same one again
        changes nothing, and only the first referrer is rewarded."""
        kit = open_kit(self._PROGRAM)
        alice, bob, carol = member(kit), member(kit, "bob"), member(kit, "carol")
        kit.loyalty.refer(alice, bob)

        with pytest.raises(Conflict):
            kit.loyalty.refer(carol, bob)
        kit.loyalty.refer(alice, bob)
        buy(kit, bob, "o1", "10.00")

        assert (30, 0, 30) == (
            kit.loyalty.balance(alice),
            kit.loyalty.balance(carol),
            kit.loyalty.balance(bob),
        )
        verified(kit)

    def test_referral_after_a_purchase_is_rejected(self, open_kit: OpenKit) -> None:
        """Referrals come before the first purchase: afterwards they are a Conflict."""
        kit = open_kit(self._PROGRAM)
        alice, bob = member(kit), member(kit, "bob")
        buy(kit, bob, "o1", "10.00")

        with pytest.raises(Conflict):
            kit.loyalty.refer(alice, bob)

        assert (0, 10) == (kit.loyalty.balance(alice), kit.loyalty.balance(bob))
        verified(kit)


class PointsUsedLoyalty(SuiteBase):
    """Points used to pay an order: redeemed with it, given back once on refunds."""

    def test_points_used_are_redeemed_with_the_purchase(self, open_kit: OpenKit) -> None:
        """points_used is a redemption in the purchase's transaction; the order still earns."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        kit.loyalty.earn(alice, 100, idempotency_key="seed")

        buy(kit, alice, "o1", "50.00", points_used=40)

        *_, spent, earned = kit.loyalty.history(alice)
        assert [(EntryKind.REDEEM, -40, "order:o1"), (EntryKind.EARN, 50, "order:o1")] == [
            (e.kind, e.points, e.source) for e in (spent, earned)
        ]
        assert 110 == kit.loyalty.balance(alice)
        verified(kit)

    def test_points_used_beyond_the_balance_rolls_back_the_purchase(
        self, open_kit: OpenKit
    ) -> None:
        """Guards against a half-recorded order: InsufficientPoints undoes the whole
        purchase (no order, no points, no event), and the order can then be recorded."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        kit.loyalty.earn(alice, 30, idempotency_key="seed")
        seen: list[Event] = []
        kit.hooks.on(Event, seen.append)

        with pytest.raises(InsufficientPoints):
            buy(kit, alice, "o1", "50.00", points_used=40)
        with pytest.raises(NotFound):
            kit.purchases.get("o1")
        untouched = (kit.loyalty.balance(alice), len(kit.loyalty.history(alice)), seen[:])
        buy(kit, alice, "o1", "50.00", points_used=30)

        assert (30, 1, []) == untouched
        assert 50 == kit.loyalty.balance(alice)
        assert ["o1"] == [e.order_id for e in seen if isinstance(e, PurchaseRecorded)]
        verified(kit)

    def test_refunds_give_points_used_back_exactly_once(self, open_kit: OpenKit) -> None:
        """Guards against points used being returned twice or never: refunds give back
        the refunded share of the points used and take back the same share of the points
        earned; in total the 40 points come back once."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        kit.loyalty.earn(alice, 100, idempotency_key="seed")
        buy(kit, alice, "o1", "50.00", points_used=40)  # 100 - 40 + 50 = 110
        balances = []

        for refund_id in ["r1", "r1", "r2"]:
            refund_order(kit, "o1", refund_id, "25.00")
            balances.append(kit.loyalty.balance(alice))

        assert [105, 105, 100] == balances
        assert [20, 20] == [
            e.points for e in entries_of(kit, alice, EntryKind.REVERSE) if e.points > 0
        ]
        verified(kit)

    def test_record_many_redeems_points_used_row_by_row(self, open_kit: OpenKit) -> None:
        """In a batch, each row's points_used is checked against the balance so far; one
        row that cannot pay rolls back its whole batch."""
        kit = open_kit(PLAIN)
        alice = member(kit)
        kit.loyalty.earn(alice, 10, idempotency_key="seed")

        def row(order_id: str, used: int) -> dict[str, Any]:
            return {
                "order_id": order_id,
                "customer_id": alice,
                "occurred_at": T0,
                "total": eur("20.00"),
                "points_used": used,
            }

        with pytest.raises(InsufficientPoints):
            kit.purchases.record_many([row("o1", 10), row("o2", 40)])
        unchanged = (kit.loyalty.balance(alice), kit.purchases.count())
        kit.purchases.record_many([row("o1", 10), row("o2", 20)])

        assert ((10, 0), 20) == (unchanged, kit.loyalty.balance(alice))
        verified(kit)

"""Behaviour: a customer moved into a B2B account and out again, with their history;
purchases listed per customer or account; an account's spend per currency."""

from __future__ import annotations

import pendulum
import pytest

import relationkit as rk
from relationkit.events import CustomerLeft, CustomerMoved, Event
from relationkit.money import Money
from relationkit.testing.base import T0, OpenKit, SuiteBase, eur

__all__ = ["MoveBehaviour"]


def _day(n: int) -> pendulum.DateTime:
    return T0.add(days=n)


class MoveBehaviour(SuiteBase):
    """Moves take purchases and interactions along; points stay; reads agree on every store."""

    def test_a_move_into_a_b2b_account_takes_purchases_and_interactions_along(
        self, kit: rk.RelationKit
    ) -> None:
        """Bob's orders and talks join ACME's history; his old account keeps what names no one."""
        bob = kit.customers.create(email="bob@example.com", name="Bob")
        old = bob.account_id
        kit.purchases.record(
            order_id="b1", customer_id=bob.id, occurred_at=_day(1), total=eur("10")
        )
        kit.purchases.refund("b1", refund_id="b1-r", amount=eur("4"), occurred_at=_day(2))
        kit.interactions.log(
            bob.id,
            channel=rk.Channel.EMAIL,
            direction=rk.Direction.OUTBOUND,
            subject="hi",
            occurred_at=_day(2),
        )
        kit.interactions.log(
            old,
            channel=rk.Channel.PHONE,
            direction=rk.Direction.INBOUND,
            subject="acct",
            occurred_at=_day(2),
        )
        acme = kit.accounts.create(name="ACME SA")
        eve = kit.customers.create(email="eve@acme.example", account_id=acme.id, role="buyer")
        kit.purchases.record(order_id="e1", customer_id=eve.id, occurred_at=_day(0), total=eur("5"))

        moved = kit.customers.move(bob.id, account_id=acme.id, role="buyer")

        assert (acme.id, "buyer") == (moved.account_id, moved.role)
        assert ["e1", "b1"] == [p.order_id for p in kit.purchases.history(acme.id)]
        assert [] == kit.purchases.history(old)
        assert (acme.id, (eur("4"),)) == (
            kit.purchases.get("b1").account_id,
            tuple(r.amount for r in kit.purchases.get("b1").refunds),
        )
        assert ["hi"] == [i.subject for i in kit.interactions.history(acme.id)]
        assert ["acct"] == [i.subject for i in kit.interactions.history(old)]
        assert {bob.id, eve.id} == {c.id for c in kit.accounts.contacts(acme.id)}
        assert [] == kit.accounts.contacts(old)
        assert "customer" == kit.lifecycle.stage(acme.id)

    def test_a_move_out_gives_the_person_a_new_b2c_account_with_their_history(
        self, kit: rk.RelationKit
    ) -> None:
        """Leaving ACME, Bob's orders go with him; Eve's and ACME's stay."""
        acme = kit.accounts.create(name="ACME SA")
        bob = kit.customers.create(email="bob@acme.example", name="Bob", account_id=acme.id)
        eve = kit.customers.create(email="eve@acme.example", account_id=acme.id)
        kit.purchases.record(order_id="b1", customer_id=bob.id, occurred_at=_day(1), total=eur("7"))
        kit.purchases.record(order_id="e1", customer_id=eve.id, occurred_at=_day(1), total=eur("3"))

        moved = kit.customers.move(bob.id)
        home = kit.accounts.get(moved.account_id)

        assert (rk.AccountKind.B2C, "Bob", None) == (home.kind, home.name, moved.role)
        assert ["b1"] == [p.order_id for p in kit.purchases.history(home.id)]
        assert ["e1"] == [p.order_id for p in kit.purchases.history(acme.id)]
        assert "customer" == kit.lifecycle.stage(home.id)
        assert moved == kit.customers.move(bob.id)

    def test_an_orders_refunds_follow_it_into_the_new_accounts_timeline(
        self, kit: rk.RelationKit
    ) -> None:
        """Bob's refunded order leaves ACME with him: its refund, and one made after
        the move, are on his new account's timeline, none on ACME's."""
        acme = kit.accounts.create(name="ACME SA")
        bob = kit.customers.create(email="bob@acme.example", name="Bob", account_id=acme.id)
        kit.purchases.record(order_id="b1", customer_id=bob.id, occurred_at=_day(1), total=eur("7"))
        kit.purchases.refund("b1", refund_id="r1", amount=eur("2"), occurred_at=_day(2))

        home = kit.customers.move(bob.id).account_id
        kit.purchases.refund("b1", refund_id="r2", amount=eur("1"), occurred_at=_day(3))

        def refunds(account_id: str) -> list[str]:
            return [e.ref for e in kit.timeline(account_id) if e.kind == "refund"]

        assert (["r1", "r2"], []) == (refunds(home), refunds(acme.id))

    def test_points_stay_with_the_account_that_earned_them(self, open_kit: OpenKit) -> None:
        """The B2C account keeps its balance; moving back into it gives the points again."""
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", points_per_unit=1))
        bob = kit.customers.create(email="bob@example.com", name="Bob")
        old = bob.account_id
        kit.purchases.record(order_id="b1", customer_id=bob.id, occurred_at=T0, total=eur("30"))
        acme = kit.accounts.create(name="ACME SA")

        kit.customers.move(bob.id, account_id=acme.id)
        away = (kit.loyalty.balance(old), kit.loyalty.balance(bob.id))
        back = kit.customers.move(bob.id, account_id=old)

        assert ((30, 0), old, 30) == (away, back.account_id, kit.loyalty.balance(bob.id))
        assert kit.loyalty.verify().ok

    def test_a_refund_after_a_move_takes_the_points_back_where_they_were_earned(
        self, open_kit: OpenKit
    ) -> None:
        """The order's points are reversed in the account that earned them, not the new one.

        The new account earned nothing from the order, so it loses nothing;
        the old one gives the order's points back, and both ledgers verify.
        """
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", points_per_unit=1))
        bob = kit.customers.create(email="bob@example.com", name="Bob")
        old = bob.account_id
        kit.purchases.record(order_id="b1", customer_id=bob.id, occurred_at=T0, total=eur("30"))
        acme = kit.accounts.create(name="ACME SA")
        kit.customers.move(bob.id, account_id=acme.id)
        kit.purchases.record(order_id="b2", customer_id=bob.id, occurred_at=T0, total=eur("10"))

        kit.purchases.refund("b1", refund_id="r-1", amount=eur("30"), occurred_at=T0)

        moved = kit.purchases.get("b1")
        assert (acme.id, old, old) == (
            moved.account_id,
            moved.points_account_id,
            moved.points_account,
        )
        assert (0, 10) == (kit.loyalty.balance(old), kit.loyalty.balance(acme.id))
        assert old == kit.loyalty.earning("b1").account_id
        assert kit.loyalty.verify().ok

    def test_a_move_emits_left_and_moved_with_counts(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """CustomerLeft on the old account; CustomerMoved (counts) and ContactAdded on the new."""
        bob = kit.customers.create(email="bob@example.com")
        kit.purchases.record(order_id="b1", customer_id=bob.id, occurred_at=T0, total=eur("1"))
        acme = kit.accounts.create(name="ACME SA")
        events.clear()

        kit.customers.move(bob.id, account_id=acme.id, role="buyer")

        left = [e for e in events if isinstance(e, CustomerLeft)]
        came = [e for e in events if isinstance(e, CustomerMoved)]
        assert [(bob.account_id, bob.id, acme.id)] == [
            (e.aggregate_id, e.customer_id, e.to_account_id) for e in left
        ]
        assert [(acme.id, bob.account_id, "buyer", 1, 0)] == [
            (e.aggregate_id, e.from_account_id, e.role, e.purchases, e.interactions) for e in came
        ]
        assert "ContactAdded" in [type(e).__name__ for e in events]

    def test_a_refused_move_changes_nothing(self, kit: rk.RelationKit) -> None:
        """Into a B2C account that has its person: Conflict; a role for B2C: ValidationError."""
        bob = kit.customers.create(email="bob@example.com")
        ann = kit.customers.create(email="ann@example.com")
        kit.purchases.record(order_id="b1", customer_id=bob.id, occurred_at=T0, total=eur("1"))

        with pytest.raises(rk.errors.Conflict):
            kit.customers.move(bob.id, account_id=ann.account_id)
        with pytest.raises(rk.errors.ValidationError):
            kit.customers.move(bob.id, role="buyer")
        with pytest.raises(rk.errors.NotFound):
            kit.customers.move(bob.id, account_id="acc_missing")

        assert (bob, ["b1"]) == (
            kit.customers.get(bob.id),
            [p.order_id for p in kit.purchases.history(bob.account_id)],
        )

    def test_purchases_list_per_customer_and_per_account_pages_without_gaps(
        self, kit: rk.RelationKit
    ) -> None:
        """Keyset pages of size 2 give each buyer's orders, and the account's, in time order."""
        acme = kit.accounts.create(name="ACME SA")
        bob = kit.customers.create(email="bob@acme.example", account_id=acme.id)
        eve = kit.customers.create(email="eve@acme.example", account_id=acme.id)
        for i in range(5):
            who = bob if i % 2 == 0 else eve
            kit.purchases.record(
                order_id=f"o{i}", customer_id=who.id, occurred_at=_day(5 - i), total=eur("1")
            )
        pages = []
        after = None
        while True:
            page = kit.purchases.list(customer_id=bob.id, limit=2, after=after)
            pages.append([p.order_id for p in page])
            if len(page) < 2:
                break
            after = page[-1]

        assert [["o4", "o2"], ["o0"]] == pages
        assert ["o4", "o3", "o2", "o1", "o0"] == [
            p.order_id for p in kit.purchases.iter_list(account_id=acme.id, page_size=2)
        ]
        assert ["o3", "o1"] == [p.order_id for p in kit.purchases.iter_list(customer_id=eve.id)]

    def test_an_accounts_spend_is_net_of_refunds_per_currency_within_a_window(
        self, kit: rk.RelationKit
    ) -> None:
        """EUR 10 - 4 refunded + EUR 5, USD 3; the window [day 2, day 3) keeps one order."""
        bob = kit.customers.create(email="bob@example.com")
        usd = Money("3.00", "USD")
        rows = [("a", _day(1), eur("10")), ("b", _day(2), eur("5")), ("c", _day(3), usd)]
        for order, at, total in rows:
            kit.purchases.record(order_id=order, customer_id=bob.id, occurred_at=at, total=total)
        kit.purchases.refund("a", refund_id="a-r", amount=eur("4"), occurred_at=_day(4))

        whole = [(r.currency, r.net, r.orders) for r in kit.purchases.spend(bob.id)]
        window = kit.purchases.spend(bob.account_id, start=_day(2), end=_day(3))

        assert [("EUR", eur("11"), 2), ("USD", usd, 1)] == whole
        assert [("EUR", 500, 1)] == [(r.currency, r.net_minor, r.orders) for r in window]
        assert [] == kit.purchases.spend(bob.id, start=_day(4))

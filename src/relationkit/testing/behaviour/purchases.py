"""Behaviour: purchases recorded once per order id, listed and ranked."""

from __future__ import annotations

import pytest

import relationkit as rk
from relationkit.errors import IdempotencyConflict, NotFound
from relationkit.events import Event
from relationkit.money import Money
from relationkit.storage.ports import SpendRow
from relationkit.testing.base import T0, SuiteBase, eur
from relationkit.testing.behaviour._support import buy

__all__ = ["PurchaseBehaviour"]


class PurchaseBehaviour(SuiteBase):
    """Purchases: idempotent recording, history order, spend ranking."""

    def test_record_stores_the_purchase_with_its_lines(self, kit: rk.RelationKit) -> None:
        """record() returns what get() returns: lines in order, total, customer."""
        alice = kit.customers.create(name="Alice")
        lines = [
            rk.LineItem(sku="TSHIRT", quantity=2, unit_price=eur("29.95"), category="apparel"),
            rk.LineItem(sku="MUG", quantity=1, unit_price=eur("0.00")),
            rk.LineItem(sku="CAP", quantity=3, unit_price=eur("9.99")),
        ]

        recorded = buy(kit, alice.id, "1001", "89.87", lines=lines)

        assert recorded == kit.purchases.get("1001")
        assert (tuple(lines), alice.account_id, ()) == (
            recorded.lines,
            recorded.account_id,
            recorded.refunds,
        )

    def test_replay_returns_the_stored_purchase_without_effect(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Recording the same order again returns the first purchase; no new row or event."""
        alice = kit.customers.create(name="Alice")
        first = buy(kit, alice.id, "1001")
        seen = len(events)

        again = buy(kit, alice.id, "1001")

        assert (first, 1, seen) == (again, kit.purchases.count(), len(events))

    def test_replay_with_another_payload_names_the_fields(self, kit: rk.RelationKit) -> None:
        """Same order id, different total and date: IdempotencyConflict naming both."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "1001", "59.90")

        with pytest.raises(IdempotencyConflict) as caught:
            buy(kit, alice.id, "1001", "60.00", at=T0.add(days=1))

        assert ("1001", ("occurred_at", "total")) == (caught.value.key, caught.value.fields)
        assert eur("59.90") == kit.purchases.get("1001").total

    def test_replay_by_another_customer_is_a_conflict(self, kit: rk.RelationKit) -> None:
        """The same order id for another customer names customer_id."""
        alice = kit.customers.create(name="Alice")
        bob = kit.customers.create(name="Bob")
        buy(kit, alice.id, "1001")

        with pytest.raises(IdempotencyConflict) as caught:
            buy(kit, bob.id, "1001")

        assert ("customer_id",) == caught.value.fields

    def test_unknown_customer_is_not_found(self, kit: rk.RelationKit) -> None:
        """Recording for an unknown customer raises NotFound and stores nothing."""
        with pytest.raises(NotFound):
            buy(kit, "cus_unknown", "1001")

        assert 0 == kit.purchases.count()

    def test_purchases_are_listed_in_occurred_at_order(self, kit: rk.RelationKit) -> None:
        """An account's purchases are listed by occurred_at, whatever the recording order."""
        alice = kit.customers.create(name="Alice")
        for order_id, day in (("c", 3), ("a", 1), ("b", 2)):
            buy(kit, alice.id, order_id, at=T0.add(days=day))

        assert ["a", "b", "c"] == [p.order_id for p in kit.purchases.history(alice.id)]

    def test_top_spenders_rank_net_spend(self, kit: rk.RelationKit) -> None:
        """top_spenders ranks accounts by spend net of refunds in one currency, then id."""
        alice = kit.customers.create(name="Alice")
        bob = kit.customers.create(name="Bob")
        cleo = kit.customers.create(name="Cleo")
        buy(kit, alice.id, "a1", "100.00")
        buy(kit, alice.id, "a2", "0.10")
        buy(kit, bob.id, "b1", "150.00")
        kit.purchases.refund("b1", refund_id="rb1", amount=eur("49.90"))
        buy(kit, cleo.id, "c1", Money("900", "USD"))

        expected = [
            SpendRow(account_id=bob.account_id, currency="EUR", net_minor=10010, orders=1),
            SpendRow(account_id=alice.account_id, currency="EUR", net_minor=10010, orders=2),
        ]
        expected.sort(key=lambda r: r.account_id)
        assert expected == kit.purchases.top_spenders("EUR", limit=5)
        assert expected[:1] == kit.purchases.top_spenders("EUR", limit=1)

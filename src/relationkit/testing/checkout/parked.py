"""Parked refunds: a refund before its order, applied once when the order arrives."""

from __future__ import annotations

import pytest

import relationkit as rk
from relationkit.errors import IdempotencyConflict, NotFound
from relationkit.events import PurchaseRefunded
from relationkit.storage.ports import Storage
from relationkit.testing.base import Boom, OpenKit, SuiteBase, eur
from relationkit.testing.checkout._support import PLAIN, needs_checkout, pay
from relationkit.testing.loyalty._support import member, verified
from relationkit.testing.requirements import requires

__all__ = ["ParkedRefunds"]


class ParkedRefunds(SuiteBase):
    """refund(..., park_if_unknown=True) with the order arriving later, twice, or never."""

    @pytest.fixture
    def shop(self, open_kit: OpenKit, storage: Storage) -> rk.RelationKit:
        """A kit with the plain program and a store that parks refunds."""
        needs_checkout(storage)
        return open_kit(PLAIN)

    def test_the_order_arriving_later_applies_the_refund(self, shop: rk.RelationKit) -> None:
        """The parked refund is applied in the order's transaction, with its event
        and its points reversal, and is no longer listed."""
        alice = member(shop)
        parked = shop.purchases.refund(
            "o1", refund_id="r1", amount=eur("4.00"), park_if_unknown=True
        )
        seen: list[PurchaseRefunded] = []
        shop.hooks.on(PurchaseRefunded, seen.append)
        pay(shop, alice, "o1")

        assert isinstance(parked, rk.ParkedRefund)
        assert [("r1", eur("4.00"))] == [
            (r.refund_id, r.amount) for r in shop.purchases.get("o1").refunds
        ]
        assert ["r1"] == [e.refund_id for e in seen]
        assert (6, []) == (shop.loyalty.balance(alice), shop.purchases.parked())
        verified(shop)

    def test_a_refund_parked_in_the_orders_transaction_is_applied(
        self, shop: rk.RelationKit
    ) -> None:
        """Looking the order up, parking its refund and recording it, all in one
        transaction, applies the refund: the lookup's "nothing parked" does not
        outlive the parking."""
        alice = member(shop)
        with shop.transaction():
            with pytest.raises(NotFound):
                shop.purchases.get("o1")
            shop.purchases.refund("o1", refund_id="r1", amount=eur("4.00"), park_if_unknown=True)
            pay(shop, alice, "o1")

        assert ["r1"] == [r.refund_id for r in shop.purchases.get("o1").refunds]
        assert [] == shop.purchases.parked()
        verified(shop)

    @requires("savepoints")
    def test_an_order_recorded_in_an_undone_block_still_gets_its_refund(
        self, shop: rk.RelationKit
    ) -> None:
        """An inner block records the order (applying its parked refund), reads it,
        and fails: the refund is parked again, and recording the order once more in
        the outer block, alone or in a batch, applies it."""
        alice = member(shop)
        shop.purchases.refund("o1", refund_id="r1", amount=eur("4.00"), park_if_unknown=True)

        def inner() -> None:
            with shop.transaction():
                pay(shop, alice, "o1")
                shop.purchases.get("o1")
                raise Boom

        with shop.transaction():
            with pytest.raises(Boom):
                inner()
            shop.purchases.record_many(
                [
                    {
                        "order_id": order_id,
                        "customer_id": alice,
                        "occurred_at": shop.clock.now(),
                        "total": eur("10.00"),
                    }
                    for order_id in ("o1", "o2")
                ]
            )

        assert ["r1"] == [r.refund_id for r in shop.purchases.get("o1").refunds]
        assert [] == shop.purchases.parked()
        verified(shop)

    def test_a_retried_park_is_one_parked_refund(self, shop: rk.RelationKit) -> None:
        """Parking the same refund twice keeps one; another amount is a conflict."""
        first = shop.purchases.refund("o1", refund_id="r1", park_if_unknown=True)
        again = shop.purchases.refund("o1", refund_id="r1", park_if_unknown=True)

        assert first == again
        assert [first] == shop.purchases.parked()
        with pytest.raises(IdempotencyConflict):
            shop.purchases.refund("o1", refund_id="r1", amount=eur("1.00"), park_if_unknown=True)

    def test_the_order_arriving_twice_applies_the_refund_once(self, shop: rk.RelationKit) -> None:
        """A full refund parked without an amount is applied once; the order's
        retry and the refund's retry change nothing."""
        alice = member(shop)
        shop.purchases.refund("o1", refund_id="r1", park_if_unknown=True)
        pay(shop, alice, "o1")
        pay(shop, alice, "o1")
        refund = shop.purchases.refund("o1", refund_id="r1", park_if_unknown=True)

        assert isinstance(refund, rk.Refund)
        assert [eur("10.00")] == [r.amount for r in shop.purchases.get("o1").refunds]
        assert 0 == shop.loyalty.balance(alice)
        verified(shop)

    def test_an_order_that_never_arrives_leaves_it_listed(
        self, shop: rk.RelationKit, clock: rk.FrozenClock
    ) -> None:
        """Old parked refunds are found with parked_before, paged, and discarded."""
        shop.purchases.refund("o1", refund_id="r1", park_if_unknown=True)
        clock.set(clock.now().add(days=40))
        shop.purchases.refund("o2", refund_id="r2", park_if_unknown=True)
        stale = shop.purchases.parked(parked_before=clock.now().subtract(days=30))
        page = shop.purchases.parked(limit=1)
        after = shop.purchases.parked(limit=1, after=page[-1])

        assert (["r1"], ["r1"], ["r2"]) == (
            [p.refund_id for p in stale],
            [p.refund_id for p in page],
            [p.refund_id for p in after],
        )
        assert (True, False) == (
            shop.purchases.discard_parked("r1"),
            shop.purchases.discard_parked("r1"),
        )
        assert ["r2"] == [p.refund_id for p in shop.purchases.parked()]

    def test_a_refund_the_order_refuses_stays_parked(self, shop: rk.RelationKit) -> None:
        """A parked refund larger than the order does not block the order: it stays
        parked with its problem noted."""
        alice = member(shop)
        shop.purchases.refund("o1", refund_id="r1", amount=eur("99.00"), park_if_unknown=True)
        pay(shop, alice, "o1")
        [left] = shop.purchases.parked()

        assert ((), "r1") == (shop.purchases.get("o1").refunds, left.refund_id)
        assert left.problem is not None

    def test_without_parking_an_unknown_order_is_not_found(self, shop: rk.RelationKit) -> None:
        """The default stays: a refund of an unknown order raises NotFound and parks nothing."""
        with pytest.raises(NotFound):
            shop.purchases.refund("o1", refund_id="r1")
        assert [] == shop.purchases.parked()

    def test_record_many_applies_parked_refunds(self, shop: rk.RelationKit) -> None:
        """The bulk path applies them too."""
        alice = member(shop)
        shop.purchases.refund("o1", refund_id="r1", amount=eur("5.00"), park_if_unknown=True)
        row = {
            "order_id": "o1",
            "customer_id": alice,
            "occurred_at": shop.clock.now(),
            "total": eur("10.00"),
        }
        shop.purchases.record_many([row])

        assert ([eur("5.00")], 5) == (
            [r.amount for r in shop.purchases.get("o1").refunds],
            shop.loyalty.balance(alice),
        )
        verified(shop)

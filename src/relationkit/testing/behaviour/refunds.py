"""Behaviour: refunds of recorded orders, idempotent and bounded by the total."""

from __future__ import annotations

import pytest

import relationkit as rk
from relationkit.errors import IdempotencyConflict, NotFound, ValidationError
from relationkit.events import Event
from relationkit.money import Money
from relationkit.testing.base import T0, SuiteBase, eur
from relationkit.testing.behaviour._support import buy

__all__ = ["RefundBehaviour"]


class RefundBehaviour(SuiteBase):
    """Refunds: stored on the purchase, replayed safely, never past the total."""

    def test_refund_is_stored_on_the_purchase(self, kit: rk.RelationKit) -> None:
        """A refund appears on the purchase and reduces what is left to refund."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "1001", "59.90")

        refund = kit.purchases.refund("1001", refund_id="r-1", amount=eur("29.95"), reason="size")

        stored = kit.purchases.get("1001")
        assert ((refund,), eur("29.95"), "size", T0) == (
            stored.refunds,
            stored.refundable,
            refund.reason,
            refund.occurred_at,
        )

    def test_refund_replay_is_idempotent(self, kit: rk.RelationKit, events: list[Event]) -> None:
        """Refunding again with the same refund id returns the first refund, no effect."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "1001", "59.90")
        first = kit.purchases.refund("1001", refund_id="r-1", amount=eur("10.00"))
        seen = len(events)

        again = kit.purchases.refund("1001", refund_id="r-1", amount=eur("10.00"))

        assert (first, (first,), seen) == (again, kit.purchases.get("1001").refunds, len(events))

    def test_refund_replay_with_another_amount_is_a_conflict(self, kit: rk.RelationKit) -> None:
        """A refund id reused with another amount raises IdempotencyConflict("amount")."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "1001", "59.90")
        kit.purchases.refund("1001", refund_id="r-1", amount=eur("10.00"))

        with pytest.raises(IdempotencyConflict) as caught:
            kit.purchases.refund("1001", refund_id="r-1", amount=eur("20.00"))

        assert ("r-1", ("amount",)) == (caught.value.key, caught.value.fields)

    def test_refunds_never_exceed_what_is_left(self, kit: rk.RelationKit) -> None:
        """Partial refunds may add up to the total; one cent more is a ValidationError."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "1001", "59.90")
        kit.purchases.refund("1001", refund_id="r-1", amount=eur("29.95"))
        kit.purchases.refund("1001", refund_id="r-2", amount=eur("29.95"))

        with pytest.raises(ValidationError) as caught:
            kit.purchases.refund("1001", refund_id="r-3", amount=eur("0.01"))

        assert ("amount", eur("0.00"), 2) == (
            caught.value.field,
            kit.purchases.get("1001").refundable,
            len(kit.purchases.get("1001").refunds),
        )

    def test_refund_in_another_currency_is_invalid(self, kit: rk.RelationKit) -> None:
        """A refund in another currency than the order's is a ValidationError("amount")."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "1001", "59.90")

        with pytest.raises(ValidationError) as caught:
            kit.purchases.refund("1001", refund_id="r-1", amount=Money("10", "USD"))

        assert ("amount", ()) == (caught.value.field, kit.purchases.get("1001").refunds)

    def test_refund_of_unknown_order_is_not_found(self, kit: rk.RelationKit) -> None:
        """Refunding an order that was never recorded raises NotFound."""
        with pytest.raises(NotFound):
            kit.purchases.refund("nope", refund_id="r-1", amount=eur("1.00"))

"""Orders whose points are gone: debt or a typed error, never an order that cannot be recorded."""

from __future__ import annotations

import pytest

import relationkit as rk
from relationkit.errors import InsufficientPoints
from relationkit.storage.ports import Storage
from relationkit.testing.base import OpenKit, SuiteBase
from relationkit.testing.checkout._support import CART, needs_checkout, pay
from relationkit.testing.loyalty._support import member, verified

__all__ = ["ShortfallCheckout"]


def _spent_elsewhere(kit: rk.RelationKit, alice: str) -> rk.Hold:
    """Hold 300 of 500 points, then lose 400 of them to a refund's reversal."""
    kit.loyalty.earn(alice, 100, idempotency_key="e1")
    pay(kit, alice, "o0", total="400.00")
    hold = kit.loyalty.hold(alice, 300, idempotency_key="cart-1", expires_in=CART)
    kit.purchases.refund("o0", refund_id="r0")
    return hold


class ShortfallCheckout(SuiteBase):
    """A captured hold whose points were taken back meanwhile."""

    def test_the_shortfall_is_an_error_before_anything_is_written(
        self, open_kit: OpenKit, storage: Storage
    ) -> None:
        """Under checkout_shortfall="error" the order is refused whole and can be
        recorded later (here without points); the hold stays as it was."""
        needs_checkout(storage)
        kit = open_kit(rk.LoyaltyProgram(currency="EUR"))
        alice = member(kit)
        hold = _spent_elsewhere(kit, alice)

        with pytest.raises(InsufficientPoints):
            pay(kit, alice, "o1", hold)
        assert 0 == kit.purchases.count() - 1
        assert rk.HoldStatus.HELD == kit.loyalty.get_hold(hold.id).status
        kit.loyalty.release(hold.id)
        assert 0 == pay(kit, alice, "o1", points_used=0).points_used
        verified(kit)

    def test_the_shortfall_becomes_debt(self, open_kit: OpenKit, storage: Storage) -> None:
        """Under checkout_shortfall="debt" the order is recorded, the hold captured,
        and the missing 200 points are owed (the order's own 10 pay 10 back)."""
        needs_checkout(storage)
        kit = open_kit(rk.LoyaltyProgram(currency="EUR", checkout_shortfall="debt"))
        alice = member(kit)
        hold = _spent_elsewhere(kit, alice)
        pay(kit, alice, "o1", hold)
        summary = kit.loyalty.summary(alice)

        assert (rk.HoldStatus.CAPTURED, 190, -190) == (
            kit.loyalty.get_hold(hold.id).status,
            summary.debt,
            summary.balance,
        )
        verified(kit)

    def test_the_shortfall_is_written_off(self, open_kit: OpenKit, storage: Storage) -> None:
        """Under negative_balance="write_off" the debt is forgiven at once."""
        needs_checkout(storage)
        program = rk.LoyaltyProgram(
            currency="EUR", checkout_shortfall="debt", negative_balance="write_off"
        )
        kit = open_kit(program)
        alice = member(kit)
        hold = _spent_elsewhere(kit, alice)
        pay(kit, alice, "o1", hold)

        assert (0, 10) == (kit.loyalty.summary(alice).debt, kit.loyalty.balance(alice))
        verified(kit)

"""Helpers shared by the checkout tests (not public)."""

from __future__ import annotations

import pendulum
import pytest

import relationkit as rk
from relationkit.storage.ports import Storage
from relationkit.storage.ports.checkout import CheckoutStore

__all__ = ["CART", "PLAIN", "needs_checkout", "pay"]

PLAIN = rk.LoyaltyProgram(currency="EUR")
"""A point per whole euro, spendable at once, never expiring."""

CART = pendulum.duration(minutes=30)
"""How long a checkout holds its points."""


def needs_checkout(storage: Storage) -> None:
    """Skip the test when the backend keeps no holds nor parked refunds."""
    with storage.transaction(write=False) as uow:
        if not isinstance(uow, CheckoutStore):
            pytest.skip("the store keeps no holds (no CheckoutStore on its unit of work)")


def pay(
    kit: rk.RelationKit,
    customer_id: str,
    order_id: str,
    hold: rk.Hold | None = None,
    *,
    total: str = "10.00",
    points_used: int = 0,
) -> rk.Purchase:
    """Record a paid order, capturing ``hold`` when given."""
    return kit.purchases.record(
        order_id=order_id,
        customer_id=customer_id,
        occurred_at=kit.clock.now(),
        total=rk.Money(total, "EUR"),
        points_used=points_used,
        hold_id=hold.id if hold is not None else None,
    )

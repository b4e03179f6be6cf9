"""Checkout tests: points held at checkout, and refunds that arrive before their order.

- holds: reserved, captured by the order, released, lapsed, never spent
  twice, re-derived by ``rebuild`` (:mod:`~relationkit.testing.checkout.holds`);
- orders whose points are gone (:mod:`~relationkit.testing.checkout.shortfall`);
- parked refunds, with the order arriving later, twice, or never
  (:mod:`~relationkit.testing.checkout.parked`).

A backend whose unit of work is not a
:class:`~relationkit.storage.ports.checkout.CheckoutStore` skips them.
"""

from __future__ import annotations

from relationkit.testing.checkout.holds import HoldCheckout
from relationkit.testing.checkout.parked import ParkedRefunds
from relationkit.testing.checkout.shortfall import ShortfallCheckout

__all__ = ["CheckoutSuite", "HoldCheckout", "ParkedRefunds", "ShortfallCheckout"]


class CheckoutSuite(HoldCheckout, ShortfallCheckout, ParkedRefunds):
    """Every checkout test of the shipped suite."""

"""Loyalty: the points ledger service (filled in below)."""

from __future__ import annotations

from collections.abc import Sequence

from relationkit._tx import Tx
from relationkit.domain.purchases import Purchase, Refund
from relationkit.services._base import Service

__all__ = ["LoyaltyService"]


class LoyaltyService(Service):
    """``kit.loyalty``."""

    def _on_purchases(self, tx: Tx, purchases: Sequence[Purchase]) -> None:
        return None

    def _on_refund(self, tx: Tx, purchase: Purchase, refund: Refund) -> None:
        return None

"""Optional port protocol: one customer's purchases, and one account's spend.

Looked for on the unit of work like the protocols of
:mod:`relationkit.storage.ports.queries`; the reference answers
(:mod:`relationkit.storage.reference.purchase_reads`) are built on the core
port alone, and the contract suite proves both equal.

The rules:

- A customer's purchases are those naming them (``customer_id``); every one
  of them sits in the customer's current account (``kit.customers.move``
  takes them along), so a backend may read them from that account.
  Order: ``occurred_at``, then id; a page starts strictly after the
  ``(occurred_at, id)`` of the previous page's last purchase.
- An account's spend is one :class:`~relationkit.storage.ports.queries.SpendRow`
  per currency its purchases are in, in currency order: the sum of their
  totals minus every refund of those purchases (whenever refunded), and how
  many purchases count. A window keeps the purchases with
  ``start <= occurred_at < end`` (either bound may be None).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pendulum

from relationkit.domain.purchases import Purchase
from relationkit.storage.ports.queries import SpendRow

__all__ = ["PurchaseReads"]


@runtime_checkable
class PurchaseReads(Protocol):
    """Purchases by customer and spend by account, pushed down to the store."""

    def customer_purchases(
        self,
        customer_id: str,
        account_id: str,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        limit: int | None = None,
    ) -> list[Purchase]:
        """Return a page of the customer's purchases (with lines and refunds).

        Args:
            customer_id: the buyer.
            account_id: the buyer's current account (where their purchases are).
            after: the ``(occurred_at, id)`` of the previous page's last purchase.
            limit: at most this many (None: all that follow).
        """
        ...

    def account_spend(
        self,
        account_id: str,
        *,
        start: pendulum.DateTime | None = None,
        end: pendulum.DateTime | None = None,
    ) -> list[SpendRow]:
        """Return the account's net spend per currency, in currency order (see the module)."""
        ...

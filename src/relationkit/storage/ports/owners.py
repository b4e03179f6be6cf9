"""An optional protocol for the account an order or a customer belongs to.

A write locks the account it touches before reading what it changes; to
know which account, it first needs only the owner's id, not the whole
record (an order's lines and refunds, a customer's attributes). A backend
that implements :class:`OwnerLookups` answers with one narrow indexed
query; without it the services read the records
(:mod:`relationkit.storage.reference.owners`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

__all__ = ["OwnerLookups"]


@runtime_checkable
class OwnerLookups(Protocol):
    """The account ids of orders and customers (those that exist)."""

    def accounts_of_orders(self, order_ids: Sequence[str]) -> dict[str, str]:
        """Return ``order_id -> account_id`` for the orders stored among ``order_ids``."""
        ...

    def accounts_of_customers(self, customer_ids: Sequence[str]) -> dict[str, str]:
        """Return ``customer_id -> account_id`` for the customers stored among ``customer_ids``."""
        ...

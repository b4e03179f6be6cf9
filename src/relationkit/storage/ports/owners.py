"""An optional protocol for the account an order or a customer belongs to.

A write locks the account it touches before reading what it changes; to
know which account, it first needs only the owner's id, not the whole
record (an order's lines and refunds, a customer's attributes). A backend
that implements :class:`OwnerLookups` answers with one narrow indexed
query; without it the services read the records
(:mod:`relationkit.storage.reference.owners`).

Owners read before the lock may have changed by the time it is taken (a
customer moved to another account meanwhile), so the services read them
again after locking, unless the unit of work says ``serial_writes = True``:
its write transaction sees no other writer's commit after it began (one
writer at a time from ``BEGIN``, as SQLite's ``BEGIN IMMEDIATE`` and the
memory store's lock give), so nothing read in it can change before the lock.
A unit of work without the attribute gets the re-check (see
:func:`serial_writes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

__all__ = ["OwnerLookups", "serial_writes"]


@runtime_checkable
class OwnerLookups(Protocol):
    """The account ids of orders and customers (those that exist)."""

    def accounts_of_orders(self, order_ids: Sequence[str]) -> dict[str, str]:
        """Return ``order_id -> account_id`` for the orders stored among ``order_ids``."""
        ...

    def accounts_of_customers(self, customer_ids: Sequence[str]) -> dict[str, str]:
        """Return ``customer_id -> account_id`` for the customers stored among ``customer_ids``."""
        ...


def serial_writes(uow: object) -> bool:
    """Return True when ``uow`` is a write transaction no other writer commits into.

    Read from the unit of work's optional ``serial_writes`` attribute
    (absent: False, the safe answer).
    """
    return getattr(uow, "serial_writes", False) is True

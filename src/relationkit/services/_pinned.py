"""A customer read under their account's lock: what every writer of a customer starts from.

A customer's account can change (``kit.customers.move``). A writer that read
the customer, then locked the account, could act on the account the person
has just left; so it reads again after the lock and retries the transaction
when the account changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from relationkit._tx import Tx
from relationkit.domain.customers import Customer
from relationkit.errors import TransientStorageError
from relationkit.services import _refs

__all__ = ["pinned"]


def pinned(tx: Tx, customer_id: object, *, also: Sequence[str] = ()) -> Customer:
    """Return a customer as of after their account's lock (and ``also``'s) was taken.

    Raises:
        NotFound: if the customer, or an account of ``also``, does not exist.
        TransientStorageError: the customer moved to another account between
            the read and the lock (the runner retries the transaction).
    """
    first = _refs.customer(tx, customer_id, "customer_id")
    tx.accounts([first.account_id, *also])
    again = _refs.customer(tx, first.id, "customer_id")
    if again.account_id != first.account_id:
        raise TransientStorageError(f"customer {first.id} moved to another account meanwhile")
    return again

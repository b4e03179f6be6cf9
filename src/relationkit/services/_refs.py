"""Resolving references: an account id or a customer id, to the stored record."""

from __future__ import annotations

from relationkit import _validate as v
from relationkit._tx import Tx
from relationkit.domain.customers import Customer
from relationkit.errors import NotFound

__all__ = ["customer", "resolve"]


def resolve(tx: Tx, ref: object) -> str:
    """Return the account id that ``ref`` (an account or a customer id) designates.

    Raises:
        ValidationError: if ``ref`` is not a string.
        NotFound: if no such account or customer exists.
    """
    key = v.identifier(ref, "ref")
    if key.startswith("cus_"):
        return customer(tx, key, "ref").account_id
    if key not in tx.uow.accounts.get_many([key]):
        raise NotFound("account", key)
    return key


def customer(tx: Tx, customer_id: object, field: str = "customer_id") -> Customer:
    """Return a customer by id.

    Raises:
        ValidationError: if the id is malformed (naming ``field``).
        NotFound: if there is no such customer.
    """
    key = v.identifier(customer_id, field)
    found = tx.uow.customers.get_many([key]).get(key)
    if found is None:
        raise NotFound("customer", key)
    return found

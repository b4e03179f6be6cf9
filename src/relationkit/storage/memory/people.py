"""The memory backend's accounts and customers, with their unique indexes and undo.

Stored and returned records carry their own copy of ``attributes``:
mutating what a caller passed in, or what a read returned, never changes
the store.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import attrs

from relationkit._validate import email_key
from relationkit.domain.customers import Account, Customer
from relationkit.errors import DanglingReference, DuplicateKey, NotFound
from relationkit.storage.memory.undo import append_item, set_item

if TYPE_CHECKING:
    from relationkit.storage.memory.store import UnitOfWork

__all__ = ["MemoryAccounts", "MemoryCustomers", "own_account", "own_customer"]

R = TypeVar("R")


def own_customer(customer: Customer) -> Customer:
    """Return a copy of ``customer`` whose attributes nobody else holds."""
    return attrs.evolve(customer, attributes=copy.deepcopy(customer.attributes))


def own_account(account: Account) -> Account:
    """Return a copy of ``account`` whose attributes nobody else holds."""
    return attrs.evolve(account, attributes=copy.deepcopy(account.attributes))


def _rekey(
    index: dict[str, str],
    old: str | None,
    new: str | None,
    record_id: str,
    key: str,
    uow: UnitOfWork,
) -> None:
    """Move ``record_id`` in a unique ``index`` from ``old`` to ``new``, logging the undo.

    Raises:
        DuplicateKey: ``new`` belongs to another record (``key`` names the
            index); nothing is changed.
    """
    if new == old:
        return
    if new is not None:
        owner = index.get(new)
        if owner is not None and owner != record_id:
            raise DuplicateKey(key)
    if old is not None:
        set_item(index, old, uow)
        del index[old]
    if new is not None:
        set_item(index, new, uow)
        index[new] = record_id


def _by_keys(
    index: dict[str, str], records: dict[str, R], keys: Sequence[str], own: Callable[[R], R]
) -> dict[str, R]:
    """Return an owned copy of the record each key of a unique ``index`` names, by key."""
    return {k: own(records[index[k]]) for k in keys if index.get(k) is not None}


class MemoryAccounts:
    """``uow.accounts``: accounts, indexed by id and external id."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow.tables

    def _index(self, account: Account, old: Account | None) -> None:
        old_ext = old.external_id if old else None
        by_external = self._t.accounts_by_external
        _rekey(
            by_external, old_ext, account.external_id, account.id, "account_external_id", self._u
        )

    def add_many(self, accounts: Sequence[Account]) -> None:
        for account in accounts:
            if account.id in self._t.accounts:
                raise DuplicateKey("account_id")
            self._index(account, None)
            set_item(self._t.accounts, account.id, self._u)
            self._t.accounts[account.id] = own_account(account)

    def get_many(
        self, account_ids: Sequence[str], *, for_update: bool = False
    ) -> dict[str, Account]:
        found = (self._t.accounts.get(i) for i in account_ids)
        return {a.id: own_account(a) for a in found if a is not None}

    def by_external_ids(self, external_ids: Sequence[str]) -> dict[str, Account]:
        return _by_keys(self._t.accounts_by_external, self._t.accounts, external_ids, own_account)

    def update_many(self, accounts: Sequence[Account]) -> None:
        for account in accounts:
            old = self._t.accounts.get(account.id)
            if old is None:
                raise NotFound("account", account.id)
            self._index(account, old)
            set_item(self._t.accounts, account.id, self._u)
            self._t.accounts[account.id] = own_account(account)

    def ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        keys = sorted(self._t.accounts)
        start = bisect.bisect_right(keys, after) if after is not None else 0
        return keys[start : start + limit]


class MemoryCustomers:
    """``uow.customers``: customers, indexed by id, email, external id and account."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow.tables

    def _index(self, customer: Customer, old: Customer | None) -> None:
        t, u = self._t, self._u
        old_email = email_key(old.email) if old and old.email else None
        new_email = email_key(customer.email) if customer.email else None
        _rekey(t.customers_by_email, old_email, new_email, customer.id, "email", u)
        old_ext = old.external_id if old else None
        _rekey(
            t.customers_by_external, old_ext, customer.external_id, customer.id, "external_id", u
        )

    def add_many(self, customers: Sequence[Customer]) -> None:
        for customer in customers:
            if customer.id in self._t.customers:
                raise DuplicateKey("customer_id")
            if customer.account_id not in self._t.accounts:
                raise DanglingReference("account_id")
            self._index(customer, None)
            set_item(self._t.customers, customer.id, self._u)
            self._t.customers[customer.id] = own_customer(customer)
            members = self._t.customers_by_account[customer.account_id]
            append_item(members, self._u)
            members.append(customer.id)

    def get_many(self, customer_ids: Sequence[str]) -> dict[str, Customer]:
        found = (self._t.customers.get(c) for c in customer_ids)
        return {c.id: own_customer(c) for c in found if c is not None}

    def by_email(self, email_key: str) -> Customer | None:
        found = self._t.customers_by_email.get(email_key)
        return own_customer(self._t.customers[found]) if found else None

    def by_external_ids(self, external_ids: Sequence[str]) -> dict[str, Customer]:
        t = self._t
        return _by_keys(t.customers_by_external, t.customers, external_ids, own_customer)

    def update(self, customer: Customer) -> None:
        old = self._t.customers.get(customer.id)
        if old is None:
            raise NotFound("customer", customer.id)
        if customer.account_id not in self._t.accounts:
            raise DanglingReference("account_id")
        self._index(customer, old)
        set_item(self._t.customers, customer.id, self._u)
        self._t.customers[customer.id] = own_customer(customer)
        if customer.account_id != old.account_id:
            t, u = self._t, self._u
            before = t.customers_by_account[old.account_id]
            set_item(t.customers_by_account, old.account_id, u)
            t.customers_by_account[old.account_id] = [c for c in before if c != customer.id]
            after = t.customers_by_account[customer.account_id]
            append_item(after, u)
            after.append(customer.id)

    def for_account(self, account_id: str) -> list[Customer]:
        members = sorted(self._t.customers_by_account.get(account_id, []))
        return [own_customer(self._t.customers[c]) for c in members]

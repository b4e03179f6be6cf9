"""The in-memory backend: the reference implementation of the core storage port.

Everything lives in dicts. A write transaction holds one lock for the whole
store and keeps an undo log, so a rollback (or a failed savepoint) restores
exactly what was there. Nothing is shared between two ``MemoryStorage``
objects, and nothing survives the process.

It implements the core port, :class:`~relationkit.storage.ports.Savepoints`
and :class:`~relationkit.storage.ports.PurchaseCounts` (an index it keeps
anyway); every other optional query is answered by
:mod:`relationkit.storage.fallback`, so the reference answers run on every
test of the memory backend. Stored and
returned customers carry their own copy of ``attributes``: mutating what a
caller passed in, or what a read returned, never changes the store.
"""

from __future__ import annotations

import bisect
import copy
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import attrs
import pendulum

from relationkit._validate import email_key
from relationkit.domain.customers import Account, Customer
from relationkit.domain.interactions import Interaction
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.purchases import Purchase, Refund
from relationkit.errors import DanglingReference, DuplicateKey, NotFound, StorageError
from relationkit.storage.memory.ledger import MemoryLedger, MemoryPoints
from relationkit.storage.memory.tables import Tables
from relationkit.storage.memory.undo import Undo, append_item, set_item
from relationkit.storage.ports.core import IdempotencyRecord

__all__ = ["MemoryStorage"]


R = TypeVar("R")


def _page(
    rows: list[R],
    key: Callable[[R], tuple[pendulum.DateTime, str]],
    after: tuple[pendulum.DateTime, str] | None,
    limit: int | None,
) -> list[R]:
    """Return the rows (sorted by ``key``) after ``after``, at most ``limit``."""
    start = bisect.bisect_right(rows, after, key=key) if after is not None else 0
    return rows[start : None if limit is None else start + limit]


def _own(customer: Customer) -> Customer:
    """Return a copy of ``customer`` whose attributes nobody else holds."""
    return attrs.evolve(customer, attributes=copy.deepcopy(customer.attributes))


class UnitOfWork:
    def __init__(self, tables: Tables, write: bool) -> None:
        self._t = self.tables = tables
        self._write = write
        self._undo: list[Undo] = []
        self.accounts = _Accounts(self)
        self.customers = _Customers(self)
        self.stages = _Stages(self)
        self.interactions = _Interactions(self)
        self.purchases = _Purchases(self)
        self.ledger = MemoryLedger(self)
        self.idempotency = _Idempotency(self)
        self.points = MemoryPoints(self)

    def _log(self, undo: Undo) -> None:
        if not self._write:
            raise StorageError("write attempted in a read-only transaction")
        self._undo.append(undo)

    def rollback_to(self, mark: int) -> None:
        while len(self._undo) > mark:
            self._undo.pop()()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        mark = len(self._undo)
        try:
            yield
        except BaseException:
            self.rollback_to(mark)
            raise

    def purchase_counts(
        self, account_ids: Sequence[str], *, at_most: int | None = None
    ) -> dict[str, int]:
        """Count each account's purchases from the store's index (no scan)."""
        owned = self._t.purchases_by_account
        counts = {a: len(owned.get(a, ())) for a in account_ids}
        if at_most is not None:
            counts = {a: min(n, at_most) for a, n in counts.items()}
        return counts


class _Accounts:
    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow._t

    def add_many(self, accounts: Sequence[Account]) -> None:
        for account in accounts:
            if account.id in self._t.accounts:
                raise DuplicateKey("account_id")
            set_item(self._t.accounts, account.id, self._u)
            self._t.accounts[account.id] = account

    def get_many(
        self, account_ids: Sequence[str], *, for_update: bool = False
    ) -> dict[str, Account]:
        found = (self._t.accounts.get(i) for i in account_ids)
        return {a.id: a for a in found if a is not None}

    def update_many(self, accounts: Sequence[Account]) -> None:
        for account in accounts:
            if account.id not in self._t.accounts:
                raise NotFound("account", account.id)
            set_item(self._t.accounts, account.id, self._u)
            self._t.accounts[account.id] = account

    def ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        keys = sorted(self._t.accounts)
        start = bisect.bisect_right(keys, after) if after is not None else 0
        return keys[start : start + limit]


class _Customers:
    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow._t

    def _index(self, customer: Customer, old: Customer | None) -> None:
        t, u = self._t, self._u
        old_email = email_key(old.email) if old and old.email else None
        new_email = email_key(customer.email) if customer.email else None
        if new_email != old_email:
            if new_email is not None:
                owner = t.customers_by_email.get(new_email)
                if owner is not None and owner != customer.id:
                    raise DuplicateKey("email")
            if old_email is not None:
                set_item(t.customers_by_email, old_email, u)
                del t.customers_by_email[old_email]
            if new_email is not None:
                set_item(t.customers_by_email, new_email, u)
                t.customers_by_email[new_email] = customer.id
        old_ext = old.external_id if old else None
        if customer.external_id != old_ext:
            if customer.external_id is not None:
                owner = t.customers_by_external.get(customer.external_id)
                if owner is not None and owner != customer.id:
                    raise DuplicateKey("external_id")
            if old_ext is not None:
                set_item(t.customers_by_external, old_ext, u)
                del t.customers_by_external[old_ext]
            if customer.external_id is not None:
                set_item(t.customers_by_external, customer.external_id, u)
                t.customers_by_external[customer.external_id] = customer.id

    def add_many(self, customers: Sequence[Customer]) -> None:
        for customer in customers:
            if customer.id in self._t.customers:
                raise DuplicateKey("customer_id")
            if customer.account_id not in self._t.accounts:
                raise DanglingReference("account_id")
            self._index(customer, None)
            set_item(self._t.customers, customer.id, self._u)
            self._t.customers[customer.id] = _own(customer)
            members = self._t.customers_by_account[customer.account_id]
            append_item(members, self._u)
            members.append(customer.id)

    def get_many(self, customer_ids: Sequence[str]) -> dict[str, Customer]:
        found = (self._t.customers.get(c) for c in customer_ids)
        return {c.id: _own(c) for c in found if c is not None}

    def by_email(self, email_key: str) -> Customer | None:
        found = self._t.customers_by_email.get(email_key)
        return _own(self._t.customers[found]) if found else None

    def by_external_ids(self, external_ids: Sequence[str]) -> dict[str, Customer]:
        out: dict[str, Customer] = {}
        for ext in external_ids:
            found = self._t.customers_by_external.get(ext)
            if found is not None:
                out[ext] = _own(self._t.customers[found])
        return out

    def update(self, customer: Customer) -> None:
        old = self._t.customers.get(customer.id)
        if old is None:
            raise NotFound("customer", customer.id)
        if customer.account_id not in self._t.accounts:
            raise DanglingReference("account_id")
        self._index(customer, old)
        set_item(self._t.customers, customer.id, self._u)
        self._t.customers[customer.id] = _own(customer)
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
        return [_own(self._t.customers[c]) for c in members]


class _Stages:
    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow._t

    def add_many(self, changes: Sequence[StageChange]) -> None:
        for change in changes:
            if change.account_id not in self._t.accounts:
                raise DanglingReference("account_id")
            history = self._t.stages[change.account_id]
            append_item(history, self._u)
            history.append(change)

    def for_account(self, account_id: str) -> list[StageChange]:
        return list(self._t.stages.get(account_id, []))


class _Interactions:
    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow._t

    def add(self, interaction: Interaction) -> None:
        if interaction.id in self._t.interaction_ids:
            raise DuplicateKey("interaction_id")
        if interaction.account_id not in self._t.accounts:
            raise DanglingReference("account_id")
        set_item(self._t.interaction_ids, interaction.id, self._u)
        self._t.interaction_ids[interaction.id] = interaction.account_id
        items = self._t.interactions[interaction.account_id]
        append_item(items, self._u)
        items.append(interaction)

    def for_account(
        self,
        account_id: str,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        limit: int | None = None,
    ) -> list[Interaction]:
        items = sorted(
            self._t.interactions.get(account_id, []), key=lambda i: (i.occurred_at, i.id)
        )
        return _page(items, lambda i: (i.occurred_at, i.id), after, limit)


class _Purchases:
    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow._t

    def add_many(self, purchases: Sequence[Purchase]) -> None:
        for purchase in purchases:
            if purchase.order_id in self._t.purchases:
                raise DuplicateKey("order_id")
            if purchase.account_id not in self._t.accounts:
                raise DanglingReference("account_id")
            set_item(self._t.purchases, purchase.order_id, self._u)
            self._t.purchases[purchase.order_id] = attrs.evolve(purchase, refunds=())
            owned = self._t.purchases_by_account[purchase.account_id]
            append_item(owned, self._u)
            owned.append(purchase.order_id)

    def get_many(self, order_ids: Sequence[str]) -> dict[str, Purchase]:
        found = (self._t.purchases.get(o) for o in order_ids)
        return {p.order_id: p for p in found if p is not None}

    def add_refund(self, refund: Refund) -> None:
        if refund.refund_id in self._t.refunds:
            raise DuplicateKey("refund_id")
        purchase = self._t.purchases.get(refund.order_id)
        if purchase is None:
            raise DanglingReference("order_id")
        set_item(self._t.refunds, refund.refund_id, self._u)
        self._t.refunds[refund.refund_id] = refund
        set_item(self._t.purchases, refund.order_id, self._u)
        refunds = sorted((*purchase.refunds, refund), key=lambda r: (r.occurred_at, r.refund_id))
        self._t.purchases[refund.order_id] = attrs.evolve(purchase, refunds=tuple(refunds))

    def get_refund(self, refund_id: str) -> Refund | None:
        return self._t.refunds.get(refund_id)

    def for_account(
        self,
        account_id: str,
        *,
        after: tuple[pendulum.DateTime, str] | None = None,
        limit: int | None = None,
    ) -> list[Purchase]:
        found = [self._t.purchases[o] for o in self._t.purchases_by_account.get(account_id, [])]
        found.sort(key=lambda p: (p.occurred_at, p.id))
        return _page(found, lambda p: (p.occurred_at, p.id), after, limit)


class _Idempotency:
    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow._t

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        return self._t.idempotency.get((scope, key))

    def add(self, record: IdempotencyRecord) -> None:
        slot = (record.scope, record.key)
        if slot in self._t.idempotency:
            raise DuplicateKey("idempotency_key")
        set_item(self._t.idempotency, slot, self._u)
        self._t.idempotency[slot] = record


class MemoryStorage:
    """The in-memory reference backend (the default of ``rk.open()``).

    Thread-safe: every transaction holds the store's lock, so writers are
    serialised and readers see committed data only.
    """

    def __init__(self) -> None:
        self._tables = Tables()
        self._lock = threading.RLock()
        self._closed = False

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[UnitOfWork]:
        """Open a transaction; roll back through the undo log on error."""
        with self._lock:
            if self._closed:
                raise StorageError("the memory store is closed")
            uow = UnitOfWork(self._tables, write)
            try:
                yield uow
            except BaseException:
                uow.rollback_to(0)
                raise

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` now: a memory transaction is final when it ends."""
        callback()

    def close(self) -> None:
        """Mark the store closed; later transactions raise StorageError."""
        self._closed = True

    def __repr__(self) -> str:
        return "MemoryStorage()"

"""Accounts and customers in SQL."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence

from sqlalchemy import ColumnElement, bindparam, select

from relationkit.domain.customers import Account, Customer
from relationkit.errors import DuplicateKey, NotFound
from relationkit.storage.ports.core import chunked
from relationkit.storage.sql.mapping import ACCOUNT, CUSTOMER, POINTS_STATE
from relationkit.storage.sql.repositories import CHUNK, Repository
from relationkit.storage.sql.repositories.prefetch import PointsPrefetch, PrefetchingRepository

__all__ = ["SqlAccounts", "SqlCustomers"]


class SqlAccounts(PrefetchingRepository):
    """Accounts (:class:`~relationkit.storage.ports.AccountRepository`)."""

    __slots__ = ()

    def add_many(self, accounts: Sequence[Account]) -> None:
        """Insert new accounts (a duplicate id: ``DuplicateKey("account_id")``)."""
        self._x.insert(self._s.inserts["accounts"], ACCOUNT.rows(accounts))

    def get_many(
        self, account_ids: Sequence[str], *, for_update: bool = False
    ) -> dict[str, Account]:
        """Return the accounts that exist among ``account_ids``, by id.

        With ``for_update`` the rows are locked in id order, chunk after
        chunk, so two transactions locking overlapping sets cannot deadlock.
        On SQLite the lock is not rendered: the write transaction's
        ``BEGIN IMMEDIATE`` already holds the whole database.
        """
        s, load = self._s, ACCOUNT.load
        prefetch = self._prefetch
        if len(account_ids) == 1 and for_update and prefetch is not None and prefetch.flag.used:
            return self._lock_with_points(account_ids[0], prefetch)
        if len(account_ids) == 1:
            stmt = s.account_locked if for_update else s.account
            return {r.id: load(r) for r in self._x.rows(stmt, {"id": account_ids[0]})}
        stmt = s.accounts_locked if for_update else s.accounts
        found: dict[str, Account] = {}
        for chunk in chunked(sorted(set(account_ids)), CHUNK):
            for row in self._x.rows(stmt, {"ids": list(chunk)}):
                found[row.id] = load(row)
        return {i: found[i] for i in account_ids if i in found}

    def _lock_with_points(self, account_id: str, prefetch: PointsPrefetch) -> dict[str, Account]:
        """Read one account and its points state row in one statement (serial writes)."""
        rows = self._x.rows(self._s.account_with_points, {"id": account_id})
        if not rows:
            return {}
        row = tuple(rows[0])
        width = len(self._t.accounts.c)
        points = row[width:]
        prefetch.rows[account_id] = POINTS_STATE.load(points) if points[0] is not None else None
        return {account_id: ACCOUNT.load(row[:width])}

    def by_external_ids(self, external_ids: Sequence[str]) -> dict[str, Account]:
        """Return the accounts with these external ids, by external id (one query a chunk)."""
        a, load = self._t.accounts, ACCOUNT.load
        found: dict[str, Account] = {}
        for chunk in chunked(list(dict.fromkeys(external_ids)), CHUNK):
            stmt = select(a).where(a.c.external_id.in_(bindparam("keys", expanding=True)))
            for row in self._x.rows(stmt, {"keys": list(chunk)}):
                found[row.external_id] = load(row)
        return {e: found[e] for e in external_ids if e in found}

    def update_many(self, accounts: Sequence[Account]) -> None:
        """Store new values of every field but ``id``, ``kind`` and ``created_at``.

        Raises:
            NotFound: ``("account", id)`` for an account that is not stored.
            DuplicateKey: ``"account_external_id"`` taken by another account.
        """
        if not accounts:
            return
        matched = self._x.write(self._s.account_update, ACCOUNT.update_params(accounts))
        if matched != len(accounts):
            self._missing([a.id for a in accounts])

    def set_versions(self, versions: Mapping[str, int]) -> None:
        """Store new versions alone (:class:`~relationkit.storage.ports.versions.AccountVersions`).

        Raises:
            NotFound: ``("account", id)`` for an account that is not stored.
        """
        if not versions:
            return
        params = [{"b_id": a, "b_version": n} for a, n in versions.items()]
        matched = self._x.write(self._s.account_version, params[0] if len(params) == 1 else params)
        if matched != len(params):
            self._missing(list(versions))

    def _missing(self, ids: list[str]) -> None:
        """Raise NotFound for the first of ``ids`` not stored (an update matched less)."""
        stored: set[str] = set()
        for chunk in chunked(list(dict.fromkeys(ids)), CHUNK):
            stored.update(r.id for r in self._x.rows(self._s.account_ids_in, {"ids": list(chunk)}))
        for account_id in ids:
            if account_id not in stored:
                raise NotFound("account", account_id)

    def ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Return account ids in id order, after ``after``, at most ``limit``."""
        s = self._s
        if after is None:
            found = self._x.rows(s.account_ids, {"limit": max(limit, 0)})
        else:
            found = self._x.rows(s.account_ids_after, {"after": after, "limit": max(limit, 0)})
        return [r.id for r in found]


class SqlCustomers(Repository):
    """Customers (:class:`~relationkit.storage.ports.CustomerRepository`)."""

    __slots__ = ()

    def add_many(self, customers: Sequence[Customer]) -> None:
        """Insert new customers in one executemany.

        Raises:
            DuplicateKey: ``"customer_id"``, ``"email"`` or ``"external_id"``.
            DanglingReference: ``"account_id"`` when the account does not exist.
        """
        if not customers:
            return
        params = CUSTOMER.rows(customers)
        insert = self._s.inserts["customers"]
        if self._x.connection.dialect.name != "sqlite":
            # PostgreSQL checks the primary key, then email, then external
            # id: the memory backend's order.
            self._x.insert(insert, params, dangling="account_id")
            return
        # SQLite checks a row's unique indexes newest first (so the primary
        # key last) and foreign keys at the end of the statement. To name the
        # rule the memory backend names, undo the batch and look again. A
        # failed statement undoes its own row, so one row needs no savepoint.
        try:
            with self._x.savepoint() if len(params) > 1 else contextlib.nullcontext():
                self._x.insert(insert, params, dangling="account_id")
        except DuplicateKey as e:
            keys = [(p["id"], p["account_id"], p["email_key"], p["external_id"]) for p in params]
            rule = self._first_broken_rule(keys)
            if rule is None:
                raise
            failure = DuplicateKey(rule)
            failure.__cause__ = e.__cause__
            raise failure from e.__cause__

    def _first_broken_rule(
        self, keys: Sequence[tuple[str, str, str | None, str | None]]
    ) -> str | None:
        """Return the uniqueness rule the memory backend would report for these new rows.

        Args:
            keys: each new row's id, account id, email key and external id.
        """
        t = self._t.customers
        taken_ids = self._existing(t.c.id, [k[0] for k in keys])
        taken_emails = self._existing(t.c.email_key, [k[2] for k in keys if k[2] is not None])
        taken_externals = self._existing(t.c.external_id, [k[3] for k in keys if k[3]])
        for customer_id, _account_id, email, external_id in keys:
            if customer_id in taken_ids:
                return "customer_id"
            if email is not None and email in taken_emails:
                return "email"
            if external_id is not None and external_id in taken_externals:
                return "external_id"
            # Later rows of the batch collide with this one too.
            taken_ids.add(customer_id)
            if email is not None:
                taken_emails.add(email)
            if external_id is not None:
                taken_externals.add(external_id)
        return None

    def _existing(self, column: ColumnElement[str], values: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunked(list(dict.fromkeys(values)), CHUNK):
            stmt = select(column).where(column.in_(bindparam("keys", expanding=True)))
            found.update(r[0] for r in self._x.rows(stmt, {"keys": list(chunk)}))
        return found

    def get_many(self, customer_ids: Sequence[str]) -> dict[str, Customer]:
        """Return the customers that exist among ``customer_ids``, by id."""
        load = CUSTOMER.load
        if len(customer_ids) == 1:
            return {r.id: load(r) for r in self._x.rows(self._s.customer, {"id": customer_ids[0]})}
        found: dict[str, Customer] = {}
        for chunk in chunked(list(dict.fromkeys(customer_ids)), CHUNK):
            for row in self._x.rows(self._s.customers, {"ids": list(chunk)}):
                found[row.id] = load(row)
        return {i: found[i] for i in customer_ids if i in found}

    def by_email(self, email_key: str) -> Customer | None:
        """Return the customer whose lower-cased email is ``email_key``."""
        found = self._x.rows(self._s.customer_by_email, {"email_key": email_key})
        return CUSTOMER.load(found[0]) if found else None

    def by_external_ids(self, external_ids: Sequence[str]) -> dict[str, Customer]:
        """Return the customers with these external ids, by external id."""
        s, load = self._s, CUSTOMER.load
        found: dict[str, Customer] = {}
        if len(external_ids) == 1:
            for row in self._x.rows(s.customer_by_external_id, {"external_id": external_ids[0]}):
                found[row.external_id] = load(row)
            return found
        for chunk in chunked(list(dict.fromkeys(external_ids)), CHUNK):
            for row in self._x.rows(s.customers_by_external_ids, {"external_ids": list(chunk)}):
                found[row.external_id] = load(row)
        return {e: found[e] for e in external_ids if e in found}

    def update(self, customer: Customer) -> None:
        """Store a customer's new field values (email and external id stay unique).

        Raises:
            NotFound: ``("customer", id)`` for a customer that is not stored.
            DuplicateKey: ``"email"`` or ``"external_id"`` taken by another.
            DanglingReference: ``"account_id"`` for an account not stored.
        """
        (params,) = CUSTOMER.update_params([customer])
        matched = self._x.write(self._s.customer_update, params, dangling="account_id")
        if matched == 0 or (matched < 0 and not self.get_many([customer.id])):
            raise NotFound("customer", customer.id)

    def for_account(self, account_id: str) -> list[Customer]:
        """Return the customers of an account, in id (creation) order."""
        found = self._x.rows(self._s.customers_of_account, {"account_id": account_id})
        return [CUSTOMER.load(r) for r in found]

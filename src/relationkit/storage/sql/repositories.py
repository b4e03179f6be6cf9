"""Repositories of accounts, customers, stage history, interactions, idempotency.

Each repository runs its statements through the transaction's
:class:`~relationkit.storage.sql.executor.Executor`; purchases and the ledger
live in their own modules. Lookups by many keys go in IN lists of at most
:data:`CHUNK` keys, one query per chunk, never one per key.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select

from relationkit.domain.customers import Account, Customer
from relationkit.domain.interactions import Interaction
from relationkit.domain.lifecycle import StageChange
from relationkit.storage.ports import DuplicateKey, IdempotencyRecord, chunked
from relationkit.storage.sql import rows
from relationkit.storage.sql.bulk import Inserts
from relationkit.storage.sql.executor import Executor
from relationkit.storage.sql.queries import Queries, Query
from relationkit.storage.sql.tables import Tables

__all__ = [
    "CHUNK",
    "Repository",
    "SqlAccounts",
    "SqlCustomers",
    "SqlIdempotency",
    "SqlInteractions",
    "SqlStages",
]

CHUNK = 500
"""Keys per IN list: well under every dialect's bound-parameter limit."""


def _dangling_account() -> Exception:
    # What the memory backend raises for a customer of an unknown account.
    return DuplicateKey("account_id")


class Repository:
    """What every repository of a transaction holds: its executor and the store's statements.

    Args:
        executor: the transaction's executor.
        tables: the store's tables.
        inserts: the store's compiled INSERTs.
        queries: the store's prebuilt queries.
    """

    __slots__ = ("_i", "_q", "_t", "_x")

    def __init__(
        self, executor: Executor, tables: Tables, inserts: Inserts, queries: Queries
    ) -> None:
        self._x = executor
        self._t = tables
        self._i = inserts
        self._q = queries


class SqlAccounts(Repository):
    """Accounts (:class:`~relationkit.storage.ports.AccountRepository`)."""

    __slots__ = ()

    def add_many(self, accounts: Sequence[Account]) -> None:
        """Insert new accounts (a duplicate id: ``DuplicateKey("account_id")``)."""
        self._x.insert(self._i.accounts, [rows.account_row(a) for a in accounts])

    def get(self, account_id: str, *, for_update: bool = False) -> Account | None:
        """Return one account; with ``for_update``, lock its row until commit.

        On SQLite ``FOR UPDATE`` is not rendered: the write transaction's
        ``BEGIN IMMEDIATE`` already holds the whole database.
        """
        q = self._q
        found = self._x.rows(q.account_locked if for_update else q.account, {"id": account_id})
        return rows.to_account(found[0]) if found else None

    def get_many(
        self, account_ids: Sequence[str], *, for_update: bool = False
    ) -> dict[str, Account]:
        """Return the accounts that exist among ``account_ids``, by id.

        With ``for_update`` the rows are locked in id order, chunk after
        chunk, so two transactions locking overlapping sets cannot deadlock.
        """
        if len(account_ids) == 1:
            one = self.get(account_ids[0], for_update=for_update)
            return {one.id: one} if one is not None else {}
        stmt = self._q.accounts_locked if for_update else self._q.accounts
        found: dict[str, Account] = {}
        for chunk in chunked(sorted(set(account_ids)), CHUNK):
            for row in self._x.rows(stmt, {"ids": chunk}):
                found[row.id] = rows.to_account(row)
        return {i: found[i] for i in account_ids if i in found}

    def update_many(self, accounts: Sequence[Account]) -> None:
        """Store new values of ``name``, ``stage``, ``stage_since``, ``version``, ``tier``."""
        if not accounts:
            return
        self._x.write(self._q.account_update, [rows.account_update_row(a) for a in accounts])

    def ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Return account ids in id order, after ``after``, at most ``limit``."""
        q = self._q
        if after is None:
            found = self._x.rows(q.account_ids, {"limit": max(limit, 0)})
        else:
            found = self._x.rows(q.account_ids_after, {"after": after, "limit": max(limit, 0)})
        return [r.id for r in found]

    def count_by_stage(self) -> dict[str, int]:
        """Return how many accounts are in each stage, in one GROUP BY."""
        return {r.stage: int(r.n) for r in self._x.rows(self._q.stage_counts)}


class SqlCustomers(Repository):
    """Customers (:class:`~relationkit.storage.ports.CustomerRepository`)."""

    __slots__ = ()

    def add_many(self, customers: Sequence[Customer]) -> None:
        """Insert new customers in one executemany.

        Raises:
            DuplicateKey: ``"customer_id"``, ``"email"``, ``"external_id"``,
                or ``"account_id"`` when the account does not exist.
        """
        if not customers:
            return
        params = [rows.customer_row(c) for c in customers]
        if self._x.connection.dialect.name != "sqlite":
            # PostgreSQL checks the primary key, then email, then external
            # id: the memory backend's order.
            self._x.insert(self._i.customers, params, dangling=_dangling_account)
            return
        # SQLite checks a row's unique indexes newest first (so the primary
        # key last) and foreign keys at the end of the statement. To name the
        # rule the memory backend names, undo the batch and look again.
        keys = [(p["id"], p["account_id"], p["email_key"], p["external_id"]) for p in params]
        try:
            with self._x.savepoint():
                self._x.insert(self._i.customers, params, dangling=_dangling_account)
        except DuplicateKey as e:
            raise DuplicateKey(self._first_broken_rule(keys) or e.constraint) from e.__cause__

    def _first_broken_rule(
        self, keys: Sequence[tuple[str, str, str | None, str | None]]
    ) -> str | None:
        """Return the rule the memory backend would report for these new rows.

        Args:
            keys: each new row's id, account id, email key and external id.
        """
        t, a = self._t.customers, self._t.accounts
        taken_ids = self._existing(t.c.id, [k[0] for k in keys])
        known_accounts = self._existing(a.c.id, [k[1] for k in keys])
        taken_emails = self._existing(t.c.email_key, [k[2] for k in keys if k[2] is not None])
        taken_externals = self._existing(t.c.external_id, [k[3] for k in keys if k[3]])
        for customer_id, account_id, email, external_id in keys:
            if customer_id in taken_ids:
                return "customer_id"
            if account_id not in known_accounts:
                return "account_id"
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
            query = Query(select(column).where(column.in_(chunk)))
            found.update(r[0] for r in self._x.rows(query))
        return found

    def get(self, customer_id: str) -> Customer | None:
        """Return one customer."""
        found = self._x.rows(self._q.customer, {"id": customer_id})
        return rows.to_customer(found[0]) if found else None

    def get_many(self, customer_ids: Sequence[str]) -> dict[str, Customer]:
        """Return the customers that exist among ``customer_ids``, by id."""
        if len(customer_ids) == 1:
            one = self.get(customer_ids[0])
            return {one.id: one} if one is not None else {}
        found: dict[str, Customer] = {}
        for chunk in chunked(list(dict.fromkeys(customer_ids)), CHUNK):
            for row in self._x.rows(self._q.customers, {"ids": chunk}):
                found[row.id] = rows.to_customer(row)
        return {i: found[i] for i in customer_ids if i in found}

    def by_email(self, email_key: str) -> Customer | None:
        """Return the customer whose lower-cased email is ``email_key``."""
        found = self._x.rows(self._q.customer_by_email, {"email_key": email_key})
        return rows.to_customer(found[0]) if found else None

    def by_external_ids(self, external_ids: Sequence[str]) -> dict[str, Customer]:
        """Return the customers with these external ids, by external id."""
        q = self._q
        found: dict[str, Customer] = {}
        if len(external_ids) == 1:
            for row in self._x.rows(q.customer_by_external_id, {"external_id": external_ids[0]}):
                found[row.external_id] = rows.to_customer(row)
            return found
        for chunk in chunked(list(dict.fromkeys(external_ids)), CHUNK):
            for row in self._x.rows(q.customers_by_external_ids, {"external_ids": chunk}):
                found[row.external_id] = rows.to_customer(row)
        return {e: found[e] for e in external_ids if e in found}

    def update(self, customer: Customer) -> None:
        """Store a customer's new field values (email and external id stay unique)."""
        values = {f"b_{key}": value for key, value in rows.customer_row(customer).items()}
        self._x.write(self._q.customer_update, values, dangling=_dangling_account)

    def for_account(self, account_id: str) -> list[Customer]:
        """Return the customers of an account, in id (creation) order."""
        found = self._x.rows(self._q.customers_of_account, {"account_id": account_id})
        return [rows.to_customer(r) for r in found]

    def count(self) -> int:
        """Return the number of customers."""
        return int(self._x.scalar(self._q.customer_count))


class SqlStages(Repository):
    """Lifecycle history (:class:`~relationkit.storage.ports.StageRepository`)."""

    __slots__ = ()

    def add_many(self, changes: Sequence[StageChange]) -> None:
        """Append stage changes; their ``seq`` keeps the order they came in."""
        self._x.insert(self._i.stage_changes, [rows.stage_row(c) for c in changes])

    def for_account(self, account_id: str) -> list[StageChange]:
        """Return an account's stage changes, oldest (first inserted) first."""
        found = self._x.rows(self._q.stages_of_account, {"account_id": account_id})
        return [rows.to_stage(r) for r in found]


class SqlInteractions(Repository):
    """Interactions (:class:`~relationkit.storage.ports.InteractionRepository`)."""

    __slots__ = ()

    def add(self, interaction: Interaction) -> None:
        """Insert one interaction."""
        self._x.insert(self._i.interactions, [rows.interaction_row(interaction)])

    def for_account(self, account_id: str) -> list[Interaction]:
        """Return an account's interactions, in ``occurred_at`` then id order."""
        found = self._x.rows(self._q.interactions_of_account, {"account_id": account_id})
        return [rows.to_interaction(r) for r in found]


class SqlIdempotency(Repository):
    """Idempotent requests (:class:`~relationkit.storage.ports.IdempotencyRepository`)."""

    __slots__ = ()

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """Return the record for ``(scope, key)``."""
        found = self._x.rows(self._q.idempotency_record, {"scope": scope, "key": key})
        return rows.to_idempotency(found[0]) if found else None

    def add(self, record: IdempotencyRecord) -> None:
        """Insert a record (an existing ``(scope, key)``: ``DuplicateKey("idempotency_key")``)."""
        self._x.insert(self._i.idempotency, [rows.idempotency_row(record)])

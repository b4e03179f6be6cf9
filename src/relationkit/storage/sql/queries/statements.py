"""The repositories' SELECT, INSERT and UPDATE statements, built once per store.

Building a statement (``select(t).where(t.c.id.in_(ids))``) and computing its
cache key costs more than the database's work for a one-row lookup. Every
statement here is built on first use with :func:`~sqlalchemy.bindparam`
placeholders and kept for the store's life: executing the same object again
reuses its memoised cache key, so SQLAlchemy finds the compiled form at once.

Lookups come in two shapes: ``... == :key`` for the common single key, and
``... IN (:keys)`` with an expanding parameter for several. Every SELECT of
a whole row selects ``select(table)``, the column order the shapes'
loaders read (see :mod:`~relationkit.storage.sql.mapping`).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, Select, Table, Update, bindparam, func, select, update
from sqlalchemy.sql.elements import BindParameter

from relationkit.storage.sql import mapping
from relationkit.storage.sql.queries.inserts import BulkInsert
from relationkit.storage.sql.queries.pages import Pages
from relationkit.storage.sql.queries.points import PointsStatements
from relationkit.storage.sql.schema.tables import Tables

if TYPE_CHECKING:
    from relationkit.storage.sql.queries.timeline import TimelinePages

__all__ = ["Statements", "many"]


def many(name: str) -> BindParameter[Any]:
    """Return an expanding bind parameter (an IN list)."""
    return bindparam(name, expanding=True)


def limit() -> BindParameter[int]:
    """Return the ``limit`` bind parameter."""
    return bindparam("limit", type_=Integer())


def _update(table: Table, shape: mapping.Shape) -> Update:
    keys = [table.c[k] == bindparam(f"b_{k}", type_=table.c[k].type) for k in shape.key]
    types = {c.key: c.type for c in table.columns}
    return update(table).where(*keys).values(shape.update_values(types))


class Statements:
    """The statements of one store's repositories, each built on first use.

    Parameter names are given in each statement's docstring. Statements are
    immutable and shared by every transaction (and thread) of the store; two
    threads building one at once is harmless.
    """

    def __init__(self, tables: Tables, prefix: str) -> None:
        self._t = tables
        self._prefix = prefix

    # -- inserts and updates ------------------------------------------------

    @cached_property
    def inserts(self) -> dict[str, BulkInsert]:
        """The bulk INSERT of each table, by table attribute name."""
        return {t.name.removeprefix(self._prefix): BulkInsert(t) for t in self._t.all}

    @cached_property
    def pages(self) -> Pages:
        """The page statements of an account's purchases and interactions."""
        return Pages(self._t)

    @cached_property
    def timeline(self) -> TimelinePages:
        """The time-ordered page statements of ``kit.timeline``."""
        from relationkit.storage.sql.queries.timeline import TimelinePages

        return TimelinePages(self._t)

    @cached_property
    def points(self) -> PointsStatements:
        """The statements of the loyalty state tables."""
        return PointsStatements(self._t)

    @cached_property
    def account_update(self) -> Update:
        """Set an account's mutable fields; ``b_<column>`` binds (see the shape)."""
        return _update(self._t.accounts, mapping.ACCOUNT)

    @cached_property
    def customer_update(self) -> Update:
        """Set a customer's mutable fields; ``b_<column>`` binds."""
        return _update(self._t.customers, mapping.CUSTOMER)

    # -- accounts -------------------------------------------------------------

    @cached_property
    def account(self) -> Select[Any]:
        """An account by ``id``."""
        a = self._t.accounts
        return select(a).where(a.c.id == bindparam("id"))

    @cached_property
    def account_locked(self) -> Select[Any]:
        """An account by ``id``, locked (``FOR NO KEY UPDATE``; not rendered on SQLite).

        ``NO KEY``: the lock serialises writers of the account without
        blocking inserts of rows that only reference it.
        """
        return self.account.with_for_update(key_share=True)

    @cached_property
    def accounts(self) -> Select[Any]:
        """Accounts by ``ids`` (expanding), in id order."""
        a = self._t.accounts
        return select(a).where(a.c.id.in_(many("ids"))).order_by(a.c.id)

    @cached_property
    def accounts_locked(self) -> Select[Any]:
        """Accounts by ``ids`` (expanding), in id order, locked."""
        return self.accounts.with_for_update(key_share=True)

    @cached_property
    def account_ids(self) -> Select[Any]:
        """Account ids in id order, at most ``limit``."""
        a = self._t.accounts
        return select(a.c.id).order_by(a.c.id).limit(limit())

    @cached_property
    def account_ids_after(self) -> Select[Any]:
        """Account ids above ``after`` in id order, at most ``limit``."""
        a = self._t.accounts
        return select(a.c.id).where(a.c.id > bindparam("after")).order_by(a.c.id).limit(limit())

    @cached_property
    def account_ids_in(self) -> Select[Any]:
        """The ids among ``ids`` (expanding) that are stored."""
        a = self._t.accounts
        return select(a.c.id).where(a.c.id.in_(many("ids")))

    # -- customers ------------------------------------------------------------

    @cached_property
    def customer(self) -> Select[Any]:
        """A customer by ``id``."""
        c = self._t.customers
        return select(c).where(c.c.id == bindparam("id"))

    @cached_property
    def customers(self) -> Select[Any]:
        """Customers by ``ids`` (expanding)."""
        c = self._t.customers
        return select(c).where(c.c.id.in_(many("ids")))

    @cached_property
    def customer_by_email(self) -> Select[Any]:
        """A customer by ``email_key``."""
        c = self._t.customers
        return select(c).where(c.c.email_key == bindparam("email_key"))

    @cached_property
    def customer_by_external_id(self) -> Select[Any]:
        """A customer by ``external_id``."""
        c = self._t.customers
        return select(c).where(c.c.external_id == bindparam("external_id"))

    @cached_property
    def customers_by_external_ids(self) -> Select[Any]:
        """Customers by ``external_ids`` (expanding)."""
        c = self._t.customers
        return select(c).where(c.c.external_id.in_(many("external_ids")))

    @cached_property
    def customers_of_account(self) -> Select[Any]:
        """The customers of ``account_id``, in id order."""
        c = self._t.customers
        return select(c).where(c.c.account_id == bindparam("account_id")).order_by(c.c.id)

    # -- stages, interactions, idempotency ------------------------------------

    @cached_property
    def stages_of_account(self) -> Select[Any]:
        """The stage changes of ``account_id``, in ``at`` then insertion order."""
        s = self._t.stage_changes
        return select(s).where(s.c.account_id == bindparam("account_id")).order_by(s.c.at, s.c.seq)

    @cached_property
    def interactions_of_account(self) -> Select[Any]:
        """The interactions of ``account_id``, in ``occurred_at`` then id order."""
        i = self._t.interactions
        return (
            select(i)
            .where(i.c.account_id == bindparam("account_id"))
            .order_by(i.c.occurred_at, i.c.id)
        )

    @cached_property
    def idempotency_record(self) -> Select[Any]:
        """The idempotency record of ``scope`` and ``key``."""
        r = self._t.idempotency
        return select(r).where(r.c.scope == bindparam("scope"), r.c.key == bindparam("key"))

    # -- purchases ------------------------------------------------------------

    @cached_property
    def purchase(self) -> Select[Any]:
        """A purchase (without lines) by ``order_id``."""
        p = self._t.purchases
        return select(p).where(p.c.order_id == bindparam("order_id"))

    @cached_property
    def purchases(self) -> Select[Any]:
        """Purchases (without lines) by ``order_ids`` (expanding)."""
        p = self._t.purchases
        return select(p).where(p.c.order_id.in_(many("order_ids")))

    @cached_property
    def lines_of_order(self) -> Select[Any]:
        """The lines of ``order_id``, in order."""
        lt = self._t.purchase_lines
        return (
            select(lt)
            .where(lt.c.order_id == bindparam("order_id"))
            .order_by(lt.c.order_id, lt.c.position)
        )

    @cached_property
    def lines_of_orders(self) -> Select[Any]:
        """The lines of ``order_ids`` (expanding), by order then position."""
        lt = self._t.purchase_lines
        return (
            select(lt)
            .where(lt.c.order_id.in_(many("order_ids")))
            .order_by(lt.c.order_id, lt.c.position)
        )

    def _refunds(self) -> Select[Any]:
        r = self._t.refunds
        return select(r).order_by(r.c.occurred_at, r.c.refund_id)

    @cached_property
    def refunds_of_order(self) -> Select[Any]:
        """The refunds of ``order_id``, in ``occurred_at`` then refund id order."""
        r = self._t.refunds
        return self._refunds().where(r.c.order_id == bindparam("order_id"))

    @cached_property
    def refunds_of_orders(self) -> Select[Any]:
        """The refunds of ``order_ids`` (expanding), in ``occurred_at`` then refund id order."""
        r = self._t.refunds
        return self._refunds().where(r.c.order_id.in_(many("order_ids")))

    @cached_property
    def refund(self) -> Select[Any]:
        """A refund by ``refund_id``."""
        r = self._t.refunds
        return select(r).where(r.c.refund_id == bindparam("refund_id"))

    @cached_property
    def purchases_of_account(self) -> Select[Any]:
        """The purchases of ``account_id``, in ``occurred_at`` then id order."""
        p = self._t.purchases
        return (
            select(p)
            .where(p.c.account_id == bindparam("account_id"))
            .order_by(p.c.occurred_at, p.c.id)
        )

    def _orders_of_account(self) -> Any:
        p = self._t.purchases
        return (
            select(p.c.order_id).where(p.c.account_id == bindparam("account_id")).scalar_subquery()
        )

    @cached_property
    def lines_of_account(self) -> Select[Any]:
        """The lines of the purchases of ``account_id``, by order then position."""
        lt = self._t.purchase_lines
        return (
            select(lt)
            .where(lt.c.order_id.in_(self._orders_of_account()))
            .order_by(lt.c.order_id, lt.c.position)
        )

    @cached_property
    def refunds_of_account(self) -> Select[Any]:
        """The refunds of the purchases of ``account_id``."""
        r = self._t.refunds
        return self._refunds().where(r.c.order_id.in_(self._orders_of_account()))

    # -- ledger ---------------------------------------------------------------

    @cached_property
    def entries_of_account(self) -> Select[Any]:
        """The ledger entries of ``account_id``, in ``seq`` order."""
        e = self._t.ledger_entries
        return select(e).where(e.c.account_id == bindparam("account_id")).order_by(e.c.seq)

    @cached_property
    def entries_of_accounts(self) -> Select[Any]:
        """The ledger entries of ``account_ids`` (expanding), by account then ``seq``."""
        e = self._t.ledger_entries
        return (
            select(e)
            .where(e.c.account_id.in_(many("account_ids")))
            .order_by(e.c.account_id, e.c.seq)
        )

    @cached_property
    def allocations_of_account(self) -> Select[Any]:
        """The allocations of the entries of ``account_id``, by entry then position."""
        e, a = self._t.ledger_entries, self._t.ledger_allocations
        return (
            select(a)
            .join(e, e.c.id == a.c.entry_id)
            .where(e.c.account_id == bindparam("account_id"))
            .order_by(a.c.entry_id, a.c.position)
        )

    @cached_property
    def allocations_of_accounts(self) -> Select[Any]:
        """The allocations of the entries of ``account_ids`` (expanding)."""
        e, a = self._t.ledger_entries, self._t.ledger_allocations
        return (
            select(a)
            .join(e, e.c.id == a.c.entry_id)
            .where(e.c.account_id.in_(many("account_ids")))
            .order_by(a.c.entry_id, a.c.position)
        )

    @cached_property
    def entries_after(self) -> Select[Any]:
        """The entries of ``account_id`` with ``seq`` above ``after_seq``, in ``seq`` order."""
        e = self._t.ledger_entries
        return (
            select(e)
            .where(e.c.account_id == bindparam("account_id"), e.c.seq > bindparam("after_seq"))
            .order_by(e.c.seq)
        )

    @cached_property
    def entries_page(self) -> Select[Any]:
        """:attr:`entries_after`, at most ``limit``."""
        return self.entries_after.limit(limit())

    @cached_property
    def allocations_between(self) -> Select[Any]:
        """The allocations of ``account_id``'s entries with ``after_seq < seq <= last_seq``."""
        e, a = self._t.ledger_entries, self._t.ledger_allocations
        return (
            select(a)
            .join(e, e.c.id == a.c.entry_id)
            .where(
                e.c.account_id == bindparam("account_id"),
                e.c.seq > bindparam("after_seq"),
                e.c.seq <= bindparam("last_seq"),
            )
            .order_by(a.c.entry_id, a.c.position)
        )

    @cached_property
    def entries_by_source(self) -> Select[Any]:
        """The entries of ``account_id`` whose source is ``source``, in ``seq`` order."""
        e = self._t.ledger_entries
        return (
            select(e)
            .where(e.c.account_id == bindparam("account_id"), e.c.source == bindparam("source"))
            .order_by(e.c.seq)
        )

    @cached_property
    def entry(self) -> Select[Any]:
        """An entry by ``id``."""
        e = self._t.ledger_entries
        return select(e).where(e.c.id == bindparam("id"))

    @cached_property
    def allocations_of_entries(self) -> Select[Any]:
        """The allocations of ``entry_ids`` (expanding), by entry then position."""
        a = self._t.ledger_allocations
        return (
            select(a)
            .where(a.c.entry_id.in_(many("entry_ids")))
            .order_by(a.c.entry_id, a.c.position)
        )

    @cached_property
    def count_rows(self) -> dict[str, Select[Any]]:
        """``SELECT count(*)`` of the customers and of the purchases."""
        t = self._t
        return {
            name: select(func.count().label("n")).select_from(getattr(t, name))
            for name in ("customers", "purchases")
        }

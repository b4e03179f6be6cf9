"""The SELECT and UPDATE statements of the repositories, built once per store.

Building a statement (``select(t).where(t.c.id.in_(ids))``) and computing its
cache key costs more than the database's work for a one-row lookup. Every
statement here is built on first use with :func:`~sqlalchemy.bindparam`
placeholders and kept for the store's life as a :class:`Query`: executing the
same object again reuses its memoised cache key, so SQLAlchemy finds the
compiled form at once, and on SQLite the query also carries its
:class:`~relationkit.storage.sql.direct.Direct` form.

Lookups come in two shapes: ``... == :key`` for the common single key, and
``... IN (:keys)`` with an expanding parameter for several.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from sqlalchemy import (
    BindParameter,
    Dialect,
    Integer,
    Select,
    Update,
    bindparam,
    exists,
    func,
    not_,
    select,
    union,
    update,
)

from relationkit.domain.ledger import EntryKind
from relationkit.storage.sql.direct import Direct, supports_direct
from relationkit.storage.sql.tables import Tables

__all__ = ["Queries", "Query"]


def _many(name: str) -> BindParameter[Any]:
    return bindparam(name, expanding=True)


def _limit() -> BindParameter[int]:
    return bindparam("limit", type_=Integer())


class Query:
    """A statement of the store, with its direct form where the dialect allows one.

    Attributes:
        statement: the SQLAlchemy statement.
        direct: the statement compiled for the driver's cursor, or None.
    """

    __slots__ = ("direct", "statement")

    def __init__(self, statement: Select[Any] | Update, direct: Direct | None = None) -> None:
        self.statement = statement
        self.direct = direct


class Queries:
    """The statements of one store's repositories, each built on first use.

    Parameter names are given in each statement's docstring. Queries are
    immutable and shared by every transaction (and thread) of the store; two
    threads building one at once is harmless.

    Args:
        tables: the store's tables.
        dialect: the store's dialect.
    """

    def __init__(self, tables: Tables, dialect: Dialect) -> None:
        self._t = tables
        self._dialect = dialect if supports_direct(dialect) else None

    def _query(self, statement: Select[Any] | Update) -> Query:
        dialect = self._dialect
        return Query(statement, Direct.prepare(statement, dialect) if dialect else None)

    # -- accounts -------------------------------------------------------------

    @cached_property
    def account(self) -> Query:
        """An account by ``id``."""
        return self._query(self._account())

    @cached_property
    def account_locked(self) -> Query:
        """An account by ``id``, locked (``FOR UPDATE``; not rendered on SQLite)."""
        return self._query(self._account().with_for_update())

    def _account(self) -> Select[Any]:
        a = self._t.accounts
        return select(a).where(a.c.id == bindparam("id"))

    @cached_property
    def accounts(self) -> Query:
        """Accounts by ``ids`` (expanding), in id order."""
        return self._query(self._accounts())

    @cached_property
    def accounts_locked(self) -> Query:
        """Accounts by ``ids`` (expanding), in id order, locked."""
        return self._query(self._accounts().with_for_update())

    def _accounts(self) -> Select[Any]:
        a = self._t.accounts
        return select(a).where(a.c.id.in_(_many("ids"))).order_by(a.c.id)

    @cached_property
    def account_update(self) -> Query:
        """Set an account's changing fields; ``b_id``, ``b_name``, ``b_stage``, ..."""
        a = self._t.accounts
        return self._query(
            update(a)
            .where(a.c.id == bindparam("b_id", type_=a.c.id.type))
            .values(
                name=bindparam("b_name", type_=a.c.name.type),
                stage=bindparam("b_stage", type_=a.c.stage.type),
                stage_since=bindparam("b_stage_since", type_=a.c.stage_since.type),
                version=bindparam("b_version", type_=a.c.version.type),
                tier=bindparam("b_tier", type_=a.c.tier.type),
            )
        )

    @cached_property
    def account_ids(self) -> Query:
        """Account ids in id order, at most ``limit``."""
        a = self._t.accounts
        return self._query(select(a.c.id).order_by(a.c.id).limit(_limit()))

    @cached_property
    def account_ids_after(self) -> Query:
        """Account ids above ``after`` in id order, at most ``limit``."""
        a = self._t.accounts
        return self._query(
            select(a.c.id).where(a.c.id > bindparam("after")).order_by(a.c.id).limit(_limit())
        )

    @cached_property
    def stage_counts(self) -> Query:
        """The number of accounts in each stage: ``stage``, ``n``."""
        a = self._t.accounts
        return self._query(select(a.c.stage, func.count().label("n")).group_by(a.c.stage))

    # -- customers ------------------------------------------------------------

    @cached_property
    def customer(self) -> Query:
        """A customer by ``id``."""
        c = self._t.customers
        return self._query(select(c).where(c.c.id == bindparam("id")))

    @cached_property
    def customers(self) -> Query:
        """Customers by ``ids`` (expanding)."""
        c = self._t.customers
        return self._query(select(c).where(c.c.id.in_(_many("ids"))))

    @cached_property
    def customer_by_email(self) -> Query:
        """A customer by ``email_key``."""
        c = self._t.customers
        return self._query(select(c).where(c.c.email_key == bindparam("email_key")))

    @cached_property
    def customer_by_external_id(self) -> Query:
        """A customer by ``external_id``."""
        c = self._t.customers
        return self._query(select(c).where(c.c.external_id == bindparam("external_id")))

    @cached_property
    def customers_by_external_ids(self) -> Query:
        """Customers by ``external_ids`` (expanding)."""
        c = self._t.customers
        return self._query(select(c).where(c.c.external_id.in_(_many("external_ids"))))

    @cached_property
    def customer_update(self) -> Query:
        """Set every field of the customer ``b_id``; ``b_<column>`` for each column."""
        c = self._t.customers
        return self._query(
            update(c)
            .where(c.c.id == bindparam("b_id", type_=c.c.id.type))
            .values(
                {
                    column.key: bindparam(f"b_{column.key}", type_=column.type)
                    for column in c.columns
                    if column.key != "id"
                }
            )
        )

    @cached_property
    def customers_of_account(self) -> Query:
        """The customers of ``account_id``, in id order."""
        c = self._t.customers
        return self._query(
            select(c).where(c.c.account_id == bindparam("account_id")).order_by(c.c.id)
        )

    @cached_property
    def customer_count(self) -> Query:
        """The number of customers."""
        return self._query(select(func.count().label("n")).select_from(self._t.customers))

    # -- stages, interactions, idempotency ------------------------------------

    @cached_property
    def stages_of_account(self) -> Query:
        """The stage changes of ``account_id``, in insertion order."""
        s = self._t.stage_changes
        return self._query(
            select(s).where(s.c.account_id == bindparam("account_id")).order_by(s.c.seq)
        )

    @cached_property
    def interactions_of_account(self) -> Query:
        """The interactions of ``account_id``, in ``occurred_at`` then id order."""
        i = self._t.interactions
        return self._query(
            select(i)
            .where(i.c.account_id == bindparam("account_id"))
            .order_by(i.c.occurred_at, i.c.id)
        )

    @cached_property
    def idempotency_record(self) -> Query:
        """The idempotency record of ``scope`` and ``key``."""
        r = self._t.idempotency
        return self._query(
            select(r).where(r.c.scope == bindparam("scope"), r.c.key == bindparam("key"))
        )

    # -- purchases ------------------------------------------------------------

    @cached_property
    def purchase(self) -> Query:
        """A purchase (without lines) by ``order_id``."""
        p = self._t.purchases
        return self._query(select(p).where(p.c.order_id == bindparam("order_id")))

    @cached_property
    def purchases(self) -> Query:
        """Purchases (without lines) by ``order_ids`` (expanding)."""
        p = self._t.purchases
        return self._query(select(p).where(p.c.order_id.in_(_many("order_ids"))))

    @cached_property
    def lines_of_order(self) -> Query:
        """The lines of ``order_id``, in order."""
        lt = self._t.purchase_lines
        return self._query(
            select(lt)
            .where(lt.c.order_id == bindparam("order_id"))
            .order_by(lt.c.order_id, lt.c.position)
        )

    @cached_property
    def lines_of_orders(self) -> Query:
        """The lines of ``order_ids`` (expanding), by order then position."""
        lt = self._t.purchase_lines
        return self._query(
            select(lt)
            .where(lt.c.order_id.in_(_many("order_ids")))
            .order_by(lt.c.order_id, lt.c.position)
        )

    @cached_property
    def refunds_of_order(self) -> Query:
        """The refunds of ``order_id``, in insertion order."""
        r = self._t.refunds
        return self._query(select(r).where(r.c.order_id == bindparam("order_id")).order_by(r.c.seq))

    @cached_property
    def refunds_of_orders(self) -> Query:
        """The refunds of ``order_ids`` (expanding), in insertion order."""
        r = self._t.refunds
        return self._query(select(r).where(r.c.order_id.in_(_many("order_ids"))).order_by(r.c.seq))

    @cached_property
    def refund(self) -> Query:
        """A refund by ``refund_id``."""
        r = self._t.refunds
        return self._query(select(r).where(r.c.refund_id == bindparam("refund_id")))

    @cached_property
    def purchases_of_account(self) -> Query:
        """The purchases of ``account_id``, in ``occurred_at`` then id order."""
        p = self._t.purchases
        return self._query(
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
    def lines_of_account(self) -> Query:
        """The lines of the purchases of ``account_id``, by order then position."""
        lt = self._t.purchase_lines
        return self._query(
            select(lt)
            .where(lt.c.order_id.in_(self._orders_of_account()))
            .order_by(lt.c.order_id, lt.c.position)
        )

    @cached_property
    def refunds_of_account(self) -> Query:
        """The refunds of the purchases of ``account_id``, in insertion order."""
        r = self._t.refunds
        return self._query(
            select(r).where(r.c.order_id.in_(self._orders_of_account())).order_by(r.c.seq)
        )

    @cached_property
    def purchase_counts(self) -> Query:
        """The number of purchases of each of ``account_ids`` (expanding) that has any."""
        p = self._t.purchases
        return self._query(
            select(p.c.account_id, func.count().label("n"))
            .where(p.c.account_id.in_(_many("account_ids")))
            .group_by(p.c.account_id)
        )

    @cached_property
    def spend(self) -> Query:
        """The ``limit`` accounts of highest net spend in ``currency``.

        Columns ``account_id``, ``net_minor``, ``orders``; ordered by net
        spend descending, then account id.
        """
        p, r = self._t.purchases, self._t.refunds
        refunded = (
            select(r.c.order_id, func.sum(r.c.amount_minor).label("refunded"))
            .group_by(r.c.order_id)
            .subquery("refunded")
        )
        net = func.sum(p.c.total_minor - func.coalesce(refunded.c.refunded, 0))
        return self._query(
            select(p.c.account_id, net.label("net_minor"), func.count().label("orders"))
            .select_from(p.outerjoin(refunded, refunded.c.order_id == p.c.order_id))
            .where(p.c.currency == bindparam("currency"))
            .group_by(p.c.account_id)
            .order_by(net.desc(), p.c.account_id)
            .limit(_limit())
        )

    @cached_property
    def purchase_count(self) -> Query:
        """The number of purchases."""
        return self._query(select(func.count().label("n")).select_from(self._t.purchases))

    # -- ledger ---------------------------------------------------------------

    @cached_property
    def entries_of_account(self) -> Query:
        """The ledger entries of ``account_id``, in id order."""
        e = self._t.ledger_entries
        return self._query(
            select(e)
            .where(e.c.account_id == bindparam("account_id"))
            .order_by(e.c.account_id, e.c.id)
        )

    @cached_property
    def entries_of_accounts(self) -> Query:
        """The ledger entries of ``account_ids`` (expanding), by account then id."""
        e = self._t.ledger_entries
        return self._query(
            select(e)
            .where(e.c.account_id.in_(_many("account_ids")))
            .order_by(e.c.account_id, e.c.id)
        )

    @cached_property
    def allocations_of_account(self) -> Query:
        """The allocations of the entries of ``account_id``, by entry then position."""
        e, a = self._t.ledger_entries, self._t.ledger_allocations
        return self._query(
            select(a)
            .join(e, e.c.id == a.c.entry_id)
            .where(e.c.account_id == bindparam("account_id"))
            .order_by(a.c.entry_id, a.c.position)
        )

    @cached_property
    def allocations_of_accounts(self) -> Query:
        """The allocations of the entries of ``account_ids`` (expanding)."""
        e, a = self._t.ledger_entries, self._t.ledger_allocations
        return self._query(
            select(a)
            .join(e, e.c.id == a.c.entry_id)
            .where(e.c.account_id.in_(_many("account_ids")))
            .order_by(a.c.entry_id, a.c.position)
        )

    def _due(self, *, after: bool) -> Select[Any]:
        e, a = self._t.ledger_entries, self._t.ledger_allocations
        as_of = bindparam("as_of", type_=e.c.expires_at.type)
        later = (e.c.account_id > bindparam("after"),) if after else ()
        taken = (
            select(func.coalesce(func.sum(a.c.points), 0))
            .where(a.c.lot_id == e.c.id)
            .scalar_subquery()
        )
        activator = e.alias("activator")
        activated = exists().where(
            activator.c.lot_id == e.c.id,
            activator.c.account_id == e.c.account_id,
            activator.c.kind == EntryKind.ACTIVATE.value,
        )
        pending_due = select(e.c.account_id).where(
            *later,
            e.c.kind == EntryKind.PENDING.value,
            e.c.available_at <= as_of,
            not_(activated),
            e.c.points - taken > 0,
        )
        lots_due = select(e.c.account_id).where(
            *later,
            e.c.kind.not_in([EntryKind.PENDING.value, EntryKind.VOID.value]),
            e.c.points > 0,
            e.c.expires_at <= as_of,
            e.c.points - e.c.debt - taken > 0,
        )
        due = union(pending_due, lots_due).subquery("due")
        return select(due.c.account_id).order_by(due.c.account_id).limit(_limit())

    @cached_property
    def due_accounts(self) -> Query:
        """Accounts with points to activate or expire at ``as_of``; at most ``limit``."""
        return self._query(self._due(after=False))

    @cached_property
    def due_accounts_after(self) -> Query:
        """As :attr:`due_accounts`, for ids above ``after``."""
        return self._query(self._due(after=True))

    @cached_property
    def ledger_account_ids(self) -> Query:
        """Ids of accounts with ledger entries, in id order; at most ``limit``."""
        return self._query(self._ledger_account_ids())

    @cached_property
    def ledger_account_ids_after(self) -> Query:
        """As :attr:`ledger_account_ids`, for ids above ``after``."""
        e = self._t.ledger_entries
        return self._query(self._ledger_account_ids().where(e.c.account_id > bindparam("after")))

    def _ledger_account_ids(self) -> Select[Any]:
        e = self._t.ledger_entries
        return select(e.c.account_id).distinct().order_by(e.c.account_id).limit(_limit())

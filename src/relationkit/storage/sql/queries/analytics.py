"""Purchase summaries pushed down to SQL: one query per page of accounts.

The rules are those of :mod:`relationkit.storage.ports.analytics`. The
query, on SQLite and PostgreSQL alike::

    orders  -- each counted purchase: its account, local day, total, refunds to as_of
    days    -- GROUP BY account, day: one transaction per day, fully refunded orders out
    ranked  -- ROW_NUMBER() OVER (PARTITION BY account ORDER BY day)
    SELECT account, MIN(day), MAX(day), COUNT(*), SUM(value), SUM(value of row 1)
    GROUP BY account ORDER BY account

A page covers the ``limit`` account ids after ``after``: their upper bound
is read from the accounts' primary key first, so the summary query reads an
index range of the purchases, not the whole table, and memory stays bounded
by the page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    func,
    not_,
    select,
)

from relationkit.storage.ports.analytics import AccountDays, SummaryPage, SummaryWindow
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.queries.local_days import local_day, prepare
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["SqlAnalytics", "as_date"]


def as_date(value: Any) -> dt.date:
    """Return a day read back from SQL (ISO text on SQLite, a date on PostgreSQL)."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"not a day: {type(value).__name__}")


class SqlAnalytics:
    """Build and run the analytics statements of one store's tables.

    Args:
        tables: the store's tables.
    """

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def _bounds(self, window: SummaryWindow) -> list[Any]:
        p = self._t.purchases
        kind = p.c.occurred_at.type
        where = [p.c.occurred_at <= bindparam("as_of", type_=kind)]
        if window.since is not None:
            where.append(p.c.occurred_at >= bindparam("since", type_=kind))
        return where

    def _params(self, window: SummaryWindow) -> dict[str, Any]:
        params: dict[str, Any] = {"as_of": window.as_of, "zone": window.zone}
        if window.since is not None:
            params["since"] = window.since
        if window.currency is not None:
            params["currency"] = window.currency
        return params

    def counted_days(
        self, dialect: str, window: SummaryWindow, *, after: bool = False, upper: bool = False
    ) -> Subquery:
        """Return ``(account_id, day, value)``: each account's transactions in the window.

        Args:
            dialect: the connection's dialect name.
            window: what counts (its currency is bound as ``:currency``).
            after: restrict to ``account_id > :after``.
            upper: restrict to ``account_id <= :upper``.
        """
        p, r = self._t.purchases, self._t.refunds
        refunded = (
            select(func.coalesce(func.sum(r.c.amount_minor), 0))
            .where(
                r.c.order_id == p.c.order_id,
                r.c.occurred_at <= bindparam("as_of", type_=r.c.occurred_at.type),
            )
            .scalar_subquery()
        )
        where = [*self._bounds(window), p.c.currency == bindparam("currency")]
        if after:
            where.append(p.c.account_id > bindparam("after"))
        if upper:
            where.append(p.c.account_id <= bindparam("upper"))
        day = local_day(dialect, p.c.occurred_at, utc=window.zone == "UTC")
        orders: Select[Any] = select(
            p.c.account_id,
            day.label("day"),
            p.c.total_minor.label("total"),
            refunded.label("refunded"),
        ).where(*where)
        if dialect == "sqlite":
            # A fence (LIMIT -1 OFFSET 0): without it SQLite flattens the
            # subquery and calls the day function twice per row.
            orders = orders.offset(0)
        orders_q = orders.subquery("orders")
        net = orders_q.c.total - orders_q.c.refunded
        fully_refunded = and_(orders_q.c.refunded > 0, net <= 0)
        return (
            select(orders_q.c.account_id, orders_q.c.day, func.sum(net).label("value"))
            .where(not_(fully_refunded))
            .group_by(orders_q.c.account_id, orders_q.c.day)
            .subquery("days")
        )

    def _summary(
        self, dialect: str, window: SummaryWindow, *, after: bool, upper: bool
    ) -> Select[Any]:
        days = self.counted_days(dialect, window, after=after, upper=upper)
        order = func.row_number().over(partition_by=days.c.account_id, order_by=days.c.day)
        ranked = select(days, order.label("n")).subquery("ranked")
        return (
            select(
                ranked.c.account_id,
                func.min(ranked.c.day).label("first_day"),
                func.max(ranked.c.day).label("last_day"),
                func.count().label("days"),
                func.sum(ranked.c.value).label("total_minor"),
                func.sum(case((ranked.c.n == 1, ranked.c.value), else_=0)).label("first_minor"),
            )
            .group_by(ranked.c.account_id)
            .order_by(ranked.c.account_id)
        )

    def _upper(self, *, after: bool) -> Select[Any]:
        a = self._t.accounts
        stmt = select(a.c.id).order_by(a.c.id).offset(bindparam("skip")).limit(1)
        return stmt.where(a.c.id > bindparam("after")) if after else stmt

    def purchase_currencies(self, x: Executor, window: SummaryWindow) -> list[str]:
        """See :class:`~relationkit.storage.ports.analytics.PurchaseAnalytics`."""
        p = self._t.purchases
        stmt = select(p.c.currency).distinct().where(*self._bounds(window)).order_by(p.c.currency)
        params = self._params(window)
        params.pop("zone")
        return [row[0] for row in x.rows(stmt, params)]

    def summary_page(
        self, x: Executor, window: SummaryWindow, *, after: str | None, limit: int
    ) -> SummaryPage:
        """See :meth:`~relationkit.storage.ports.analytics.PurchaseAnalytics.summary_page`."""
        bound: dict[str, Any] = {"skip": max(limit, 1) - 1}
        if after is not None:
            bound["after"] = after
        upper = x.scalar(self._upper(after=after is not None), bound)
        dialect = x.connection.dialect.name
        prepare(x.connection, window.zone)
        stmt = self._summary(dialect, window, after=after is not None, upper=upper is not None)
        params = self._params(window)
        if after is not None:
            params["after"] = after
        if upper is not None:
            params["upper"] = upper
        day = dt.date.fromisoformat if dialect == "sqlite" else as_date
        rows = tuple(
            AccountDays(
                account_id=account_id,
                first_day=day(first),
                last_day=day(last),
                days=days,
                # PostgreSQL sums BIGINT into NUMERIC: back to exact ints.
                total_minor=int(total),
                first_minor=int(first_value),
            )
            for account_id, first, last, days, total, first_value in x.rows(stmt, params)
        )
        return SummaryPage(rows=rows, next_after=upper)

    def params(self, window: SummaryWindow) -> dict[str, Any]:
        """Return the bind parameters of :meth:`counted_days` for ``window``."""
        return self._params(window)

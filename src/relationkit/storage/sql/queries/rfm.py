"""The RFM quintile cuts pushed down to SQL: one query with window functions.

Over every account with counted purchases (the transactions of
:meth:`~relationkit.storage.sql.queries.analytics.SqlAnalytics.counted_days`)::

    accounts -- GROUP BY account: last day, number of days, total net value
    ranked   -- ROW_NUMBER() OVER (ORDER BY last_day, account_id) and likewise
                for days and total; COUNT(*) OVER () as n
    SELECT the rows at rank 1 or at a cut rank (n - 1) * (s - 1) / 5 + 2, s = 2..5

It returns at most thirteen rows, whatever the number of accounts; the
scores of each account are then read from the summary pages against these
cut keys (:func:`relationkit.domain.scores.cut_ranks` says why it is the
same as ranking every account).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Select, func, literal, or_, select

from relationkit.domain.scores import cut_ranks
from relationkit.storage.ports.analytics import RfmCuts, SummaryWindow
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.queries.analytics import SqlAnalytics, as_date
from relationkit.storage.sql.queries.local_days import prepare

__all__ = ["SqlRfm"]


class SqlRfm:
    """Build and run the RFM cut query over a store's tables.

    Args:
        analytics: the store's summary statements (their counted days).
    """

    def __init__(self, analytics: SqlAnalytics) -> None:
        self._a = analytics

    def _cuts(self, dialect: str, window: SummaryWindow) -> Select[Any]:
        days = self._a.counted_days(dialect, window)
        accounts = (
            select(
                days.c.account_id,
                func.max(days.c.day).label("last_day"),
                func.count().label("days"),
                func.sum(days.c.value).label("total"),
            )
            .group_by(days.c.account_id)
            .subquery("per_account")
        )
        c = accounts.c
        ranked = select(
            accounts,
            func.row_number().over(order_by=(c.last_day, c.account_id)).label("r_rank"),
            func.row_number().over(order_by=(c.days, c.account_id)).label("f_rank"),
            func.row_number().over(order_by=(c.total, c.account_id)).label("m_rank"),
            func.count().over().label("n"),
        ).subquery("ranked")
        k = ranked.c
        # Integer division on both dialects (// renders as / for integers).
        cuts = [(k.n - 1) * literal(s - 1, Integer) // 5 + 2 for s in range(2, 6)]
        return select(ranked).where(
            or_(k.r_rank == 1, k.r_rank.in_(cuts), k.f_rank.in_(cuts), k.m_rank.in_(cuts))
        )

    def rfm_cuts(self, x: Executor, window: SummaryWindow) -> RfmCuts:
        """See :meth:`~relationkit.storage.ports.analytics.PurchaseAnalytics.rfm_cuts`."""
        prepare(x.connection, window.zone)
        rows = x.rows(self._cuts(x.connection.dialect.name, window), self._a.params(window))
        if not rows:
            return RfmCuts(population=0, recency=(), frequency=(), monetary=())
        population = int(rows[0].n)
        ranks = cut_ranks(population)
        by_r = {int(row.r_rank): row for row in rows}
        by_f = {int(row.f_rank): row for row in rows}
        by_m = {int(row.m_rank): row for row in rows}
        return RfmCuts(
            population=population,
            recency=tuple((as_date(by_r[i].last_day), by_r[i].account_id) for i in ranks),
            frequency=tuple((int(by_f[i].days), by_f[i].account_id) for i in ranks),
            monetary=tuple((int(by_m[i].total), by_m[i].account_id) for i in ranks),
        )

"""Reference :class:`~relationkit.storage.ports.analytics.PurchaseAnalytics` over the core port.

Reads accounts in id order, a page at a time, and each account's purchases
with their refunds; the rules are those of
:mod:`relationkit.storage.ports.analytics`. The memory backend uses it, and
so does any adapter that does not push the protocol down. Summary pages
hold one page of accounts at a time; :meth:`ReferenceAnalytics.rfm_cuts`
keeps one small key per account with purchases (it must rank them all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pendulum

from relationkit.domain.purchases import Purchase
from relationkit.domain.scores import cut_ranks
from relationkit.storage.ports.analytics import AccountDays, RfmCuts, SummaryPage, SummaryWindow
from relationkit.storage.ports.core import UnitOfWork

__all__ = ["ReferenceAnalytics", "local_day", "order_value"]

_PAGE = 500


def local_day(instant: pendulum.DateTime, zone: str) -> dt.date:
    """Return the calendar day of ``instant`` in ``zone``."""
    local = instant.in_timezone(zone)
    return dt.date(local.year, local.month, local.day)


def order_value(purchase: Purchase, as_of: pendulum.DateTime) -> int | None:
    """Return an order's net value in minor units at ``as_of``, or None if refunded in full."""
    refunded = sum(r.amount.minor for r in purchase.refunds if r.occurred_at <= as_of)
    net = purchase.total.minor - refunded
    if refunded > 0 and net <= 0:
        return None
    return net


def _counted(purchase: Purchase, window: SummaryWindow) -> bool:
    return purchase.occurred_at <= window.as_of and (
        window.since is None or purchase.occurred_at >= window.since
    )


class ReferenceAnalytics:
    """The reference answers, for one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def _account_ids(self, after: str | None) -> Iterator[str]:
        while True:
            page = self._uow.accounts.ids(after=after, limit=_PAGE)
            yield from page
            if len(page) < _PAGE:
                return
            after = page[-1]

    def _days(self, account_id: str, window: SummaryWindow) -> AccountDays | None:
        days: dict[dt.date, int] = {}
        for purchase in self._uow.purchases.for_account(account_id):
            if purchase.total.currency != window.currency or not _counted(purchase, window):
                continue
            value = order_value(purchase, window.as_of)
            if value is None:
                continue
            day = local_day(purchase.occurred_at, window.zone)
            days[day] = days.get(day, 0) + value
        if not days:
            return None
        first, last = min(days), max(days)
        return AccountDays(
            account_id=account_id,
            first_day=first,
            last_day=last,
            days=len(days),
            total_minor=sum(days.values()),
            first_minor=days[first],
        )

    def purchase_currencies(self, window: SummaryWindow) -> list[str]:
        """See :class:`~relationkit.storage.ports.analytics.PurchaseAnalytics`."""
        found: set[str] = set()
        for account_id in self._account_ids(None):
            found.update(
                p.total.currency
                for p in self._uow.purchases.for_account(account_id)
                if _counted(p, window)
            )
        return sorted(found)

    def summary_page(
        self, window: SummaryWindow, *, after: str | None = None, limit: int = 1000
    ) -> SummaryPage:
        """See :meth:`~relationkit.storage.ports.analytics.PurchaseAnalytics.summary_page`."""
        ids = self._uow.accounts.ids(after=after, limit=limit)
        rows = tuple(r for r in (self._days(a, window) for a in ids) if r is not None)
        return SummaryPage(rows=rows, next_after=ids[-1] if len(ids) == limit else None)

    def rfm_cuts(self, window: SummaryWindow) -> RfmCuts:
        """See :meth:`~relationkit.storage.ports.analytics.PurchaseAnalytics.rfm_cuts`."""
        recency: list[tuple[dt.date, str]] = []
        frequency: list[tuple[int, str]] = []
        monetary: list[tuple[int, str]] = []
        for account_id in self._account_ids(None):
            row = self._days(account_id, window)
            if row is not None:
                recency.append((row.last_day, account_id))
                frequency.append((row.days, account_id))
                monetary.append((row.total_minor, account_id))
        ranks = cut_ranks(len(recency))
        recency.sort()
        frequency.sort()
        monetary.sort()
        return RfmCuts(
            population=len(recency),
            recency=tuple(recency[i - 1] for i in ranks),
            frequency=tuple(frequency[i - 1] for i in ranks),
            monetary=tuple(monetary[i - 1] for i in ranks),
        )

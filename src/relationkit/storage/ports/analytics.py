"""Optional analytics protocol: per-account purchase facts computed where the data lives.

Like :mod:`relationkit.storage.ports.queries`, :class:`PurchaseAnalytics` is
``runtime_checkable`` and looked for on the unit of work. A backend that
implements it answers in its own query language (one SQL query per page on
the SQL backend); otherwise :mod:`relationkit.storage.reference.analytics`
answers from the core port alone. Both answers must be equal;
``relationkit.testing.analytics`` checks it on every backend.

What counts (the rule every implementation follows):

- purchases of the account in ``window.currency`` with
  ``window.since <= occurred_at <= window.as_of`` (no lower bound without
  ``since``);
- each order's value is its total minus its refunds with
  ``occurred_at <= window.as_of``; an order refunded in full (it has such
  refunds and nothing is left) does not count at all; an order of total 0
  without refunds counts (at 0);
- orders are grouped by the local calendar day of ``occurred_at`` in
  ``window.zone``: one transaction per day, its value the sum.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

import attrs
import pendulum

__all__ = [
    "AccountDays",
    "PurchaseAnalytics",
    "RfmCuts",
    "SummaryPage",
    "SummaryWindow",
]


@attrs.frozen(kw_only=True)
class SummaryWindow:
    """Which purchases a summary reads.

    Attributes:
        zone: the IANA time zone whose calendar days group orders.
        as_of: the last instant counted (UTC); refunds after it are ignored.
        since: the first instant counted (UTC), or None.
        currency: the ISO 4217 code of the orders counted (None only for
            :meth:`PurchaseAnalytics.purchase_currencies`).
    """

    zone: str
    as_of: pendulum.DateTime
    since: pendulum.DateTime | None = None
    currency: str | None = None


@attrs.frozen(kw_only=True)
class AccountDays:
    """One account's counted purchase days.

    Attributes:
        account_id: the account.
        first_day: its first purchase day (local).
        last_day: its last purchase day (local).
        days: how many distinct purchase days (at least 1).
        total_minor: net value of all its purchase days, minor units.
        first_minor: net value of its first purchase day, minor units.
    """

    account_id: str
    first_day: dt.date
    last_day: dt.date
    days: int
    total_minor: int
    first_minor: int


@attrs.frozen(kw_only=True)
class SummaryPage:
    """A page of :class:`AccountDays`.

    Attributes:
        rows: the accounts of the page that have counted purchases, in id order.
        next_after: the last account id the page looked at (pass it as
            ``after`` for the next page), or None when the page looked at
            fewer than ``limit`` accounts: the walk is over (a full page may
            be followed by an empty one).
    """

    rows: tuple[AccountDays, ...]
    next_after: str | None


@attrs.frozen(kw_only=True)
class RfmCuts:
    """Where the RFM quintiles begin, over every account with counted purchases.

    Accounts are ranked, for each measure, by ``(measure, account_id)``
    ascending; ``ranks`` are :func:`relationkit.domain.scores.cut_ranks` of
    ``population`` and each tuple holds the key at those ranks.

    Attributes:
        population: how many accounts have counted purchases.
        recency: ``(last_day, account_id)`` at each cut rank.
        frequency: ``(days, account_id)`` at each cut rank.
        monetary: ``(total_minor, account_id)`` at each cut rank.
    """

    population: int
    recency: tuple[tuple[dt.date, str], ...]
    frequency: tuple[tuple[int, str], ...]
    monetary: tuple[tuple[int, str], ...]


@runtime_checkable
class PurchaseAnalytics(Protocol):
    """Per-account purchase facts, for summaries, RFM and lifetime value."""

    def purchase_currencies(self, window: SummaryWindow) -> list[str]:
        """Return the currencies of the purchases in the window, sorted (``currency`` ignored)."""
        ...

    def summary_page(
        self, window: SummaryWindow, *, after: str | None = None, limit: int = 1000
    ) -> SummaryPage:
        """Return the counted days of the next ``limit`` accounts after ``after``.

        The page looks at the ``limit`` accounts (of the account records, in
        id order) after ``after``; those without counted purchases are left
        out of ``rows``.
        """
        ...

    def rfm_cuts(self, window: SummaryWindow) -> RfmCuts:
        """Return the population and the cut keys of the RFM quintiles."""
        ...

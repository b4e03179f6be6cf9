"""The purchase summary: frequency, recency, T and monetary value per account."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pendulum

from relationkit._runtime import Runner
from relationkit._tx import Tx
from relationkit.domain.scores import SummaryRow
from relationkit.services.scores.window import Scope
from relationkit.storage.fallback import queries
from relationkit.storage.ports.analytics import AccountDays, SummaryPage, SummaryWindow

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PAGE_SIZE", "PurchaseSummary", "account_pages", "summary_row"]

PAGE_SIZE = 5000
"""Accounts per read transaction when a summary is walked."""

_COLUMNS = ("frequency", "recency", "T", "monetary_value")


def _page(tx: Tx, *, window: SummaryWindow, after: str | None, limit: int) -> SummaryPage:
    return queries(tx.uow).analytics.summary_page(window, after=after, limit=limit)


def account_pages(runner: Runner, scope: Scope, page_size: int) -> Iterator[AccountDays]:
    """Yield every account's counted days, one read transaction per page of accounts.

    Pages follow account ids (keyset), so memory stays bounded by a page. A
    write committed while the walk runs shows in the pages read after it.
    """
    window = scope.window
    if window.currency is None:
        return
    after: str | None = None
    while True:
        page = runner.read(
            functools.partial(_page, window=window, after=after, limit=page_size), analytics=True
        )
        yield from page.rows
        if page.next_after is None:
            return
        after = page.next_after


def summary_row(days: AccountDays, scope: Scope, unit_days: int) -> SummaryRow:
    """Return the literature's summary of one account's counted days."""
    frequency = days.days - 1
    scale = scope.scale
    repeat = days.total_minor - days.first_minor
    return SummaryRow(
        account_id=days.account_id,
        frequency=frequency,
        recency=(days.last_day - days.first_day).days / unit_days,
        T=(scope.as_of_day - days.first_day).days / unit_days,
        monetary_value=repeat / frequency / scale if frequency else 0.0,
        transactions=days.days,
        total_value=days.total_minor / scale,
        first_day=days.first_day,
        last_day=days.last_day,
    )


class PurchaseSummary:
    """The purchase summary of every account with counted purchases, in account id order.

    Iterating reads the store a page of accounts at a time (each pass reads
    it again). ``unit``, ``as_of``, ``since`` and ``currency`` say what the
    numbers mean; :meth:`to_pandas` builds a DataFrame.

    Attributes:
        unit: ``"days"`` or ``"weeks"``: the unit of ``recency`` and ``T``.
        as_of: the last instant counted (UTC).
        as_of_day: its calendar day in the kit's time zone (``T`` ends there).
        since: the first instant counted (UTC), or None.
        currency: the currency of the orders counted (None: no purchases).
        timezone: the zone whose calendar days group the orders.
    """

    def __init__(
        self, runner: Runner, scope: Scope, *, unit: str, unit_days: int, page_size: int
    ) -> None:
        self._run = runner
        self._scope = scope
        self._unit_days = unit_days
        self._page_size = page_size
        self.unit = unit
        self.as_of: pendulum.DateTime = scope.window.as_of
        self.as_of_day = scope.as_of_day
        self.since: pendulum.DateTime | None = scope.window.since
        self.currency: str | None = scope.window.currency
        self.timezone = scope.window.zone

    def __iter__(self) -> Iterator[SummaryRow]:
        for days in account_pages(self._run, self._scope, self._page_size):
            yield summary_row(days, self._scope, self._unit_days)

    def __repr__(self) -> str:
        return (
            f"PurchaseSummary(as_of={self.as_of.isoformat()!r}, unit={self.unit!r}, "
            f"currency={self.currency!r})"
        )

    def to_pandas(self) -> pd.DataFrame:
        """Return the summary as a DataFrame indexed by ``account_id``.

        Columns ``frequency``, ``recency``, ``T`` and ``monetary_value``, the
        names ``lifetimes`` uses; the summary's attributes are copied into
        ``DataFrame.attrs``.

        Raises:
            ImportError: pandas is not installed (``pip install 'relationkit[pandas]'``).
        """
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError(
                "PurchaseSummary.to_pandas() needs pandas: pip install 'relationkit[pandas]'"
            ) from e
        ids: list[str] = []
        columns: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
        for row in self:
            ids.append(row.account_id)
            for name in _COLUMNS:
                columns[name].append(getattr(row, name))
        frame = pd.DataFrame(columns, index=pd.Index(ids, name="account_id", dtype=object))
        frame = frame.astype({"frequency": "int64", "recency": "float64", "T": "float64"})
        frame["monetary_value"] = frame["monetary_value"].astype("float64")
        frame.attrs.update(
            unit=self.unit,
            as_of=self.as_of,
            as_of_day=self.as_of_day,
            since=self.since,
            currency=self.currency,
            timezone=self.timezone,
        )
        return frame

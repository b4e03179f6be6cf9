"""Historical lifetime value: average purchase value x purchase frequency x lifespan.

See :class:`relationkit.domain.scores.HistoricalClv` for the definitions:
per account the product is what it has spent, net, so far, shown as its
three factors; overall it is the mean net spend per account.
"""

from __future__ import annotations

from collections.abc import Iterator

import pendulum

from relationkit._runtime import Runner
from relationkit.domain.scores import HistoricalClv
from relationkit.services.scores.summary import account_pages
from relationkit.services.scores.window import Scope
from relationkit.storage.ports.analytics import AccountDays

__all__ = ["HistoricalValues", "historical_row"]


def historical_row(days: AccountDays, scope: Scope, *, unit: str, unit_days: int) -> HistoricalClv:
    """Return one account's historical lifetime value and its factors."""
    lifespan = ((scope.as_of_day - days.first_day).days + 1) / unit_days
    average = days.total_minor / scope.scale / days.days
    frequency = days.days / lifespan
    return HistoricalClv(
        account_id=days.account_id,
        average_value=average,
        purchase_frequency=frequency,
        lifespan=lifespan,
        value=average * frequency * lifespan,
        transactions=days.days,
        accounts=1,
        unit=unit,
    )


class HistoricalValues:
    """Each account's :class:`~relationkit.domain.scores.HistoricalClv`, and the overall one.

    Attributes:
        unit: the unit of ``purchase_frequency`` (per unit) and ``lifespan``.
        as_of: the last instant counted (UTC).
        since: the first instant counted (UTC), or None.
        currency: the currency of the values (None: no purchases).
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
        self.since: pendulum.DateTime | None = scope.window.since
        self.currency: str | None = scope.window.currency

    def _days(self) -> Iterator[AccountDays]:
        return account_pages(self._run, self._scope, self._page_size)

    def __iter__(self) -> Iterator[HistoricalClv]:
        for days in self._days():
            yield historical_row(days, self._scope, unit=self.unit, unit_days=self._unit_days)

    def overall(self) -> HistoricalClv:
        """Return the figure over every account (one pass over the pages).

        ``average_value`` is the net spend per transaction, ``purchase_frequency``
        transactions per unit of tenure, ``lifespan`` the mean tenure; with no
        account every figure is 0.
        """
        accounts = transactions = total = tenure_days = 0
        for days in self._days():
            accounts += 1
            transactions += days.days
            total += days.total_minor
            tenure_days += (self._scope.as_of_day - days.first_day).days + 1
        if not accounts:
            return HistoricalClv(
                account_id=None,
                average_value=0.0,
                purchase_frequency=0.0,
                lifespan=0.0,
                value=0.0,
                transactions=0,
                accounts=0,
                unit=self.unit,
            )
        average = total / self._scope.scale / transactions
        frequency = transactions * self._unit_days / tenure_days
        lifespan = tenure_days / self._unit_days / accounts
        return HistoricalClv(
            account_id=None,
            average_value=average,
            purchase_frequency=frequency,
            lifespan=lifespan,
            value=average * frequency * lifespan,
            transactions=transactions,
            accounts=accounts,
            unit=self.unit,
        )

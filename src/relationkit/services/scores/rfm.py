"""RFM: recency, frequency and monetary quintile scores, and the named segments.

Each measure ranks every account with counted purchases, ascending, ties
broken by account id (the smaller id ranks lower):

- recency by the last purchase day (the most recent scores 5);
- frequency by the number of purchase days;
- monetary by the total net spend in the window.

Ranks become scores 1..5 by :func:`relationkit.domain.scores.quintile`
(``pandas.qcut`` of ``rank(method="first")``); the segment comes from
:data:`relationkit.domain.scores.SEGMENT_MAP`. The store computes where each
quintile begins (one query); the scores are then read off the summary pages,
so memory stays bounded by a page on every backend.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from typing import TypeVar

import pendulum

from relationkit._runtime import Runner
from relationkit.domain.scores import RfmRow, segment_of
from relationkit.services.scores.summary import account_pages
from relationkit.services.scores.window import Scope
from relationkit.storage.fallback import queries
from relationkit.storage.ports.analytics import AccountDays, RfmCuts

__all__ = ["RfmScores", "rfm_row"]

K = TypeVar("K", bound=tuple[object, str])


def _score(cuts: Sequence[K], key: K) -> int:
    """One plus the number of cut keys at or below ``key``."""
    return 1 + bisect.bisect_right(cuts, key)


def rfm_row(days: AccountDays, cuts: RfmCuts, scope: Scope) -> RfmRow:
    """Return one account's scores against the population's cuts."""
    r = _score(cuts.recency, (days.last_day, days.account_id))
    f = _score(cuts.frequency, (days.days, days.account_id))
    m = _score(cuts.monetary, (days.total_minor, days.account_id))
    return RfmRow(
        account_id=days.account_id,
        r=r,
        f=f,
        m=m,
        segment=segment_of(r, f, m),
        days_since_last=(scope.as_of_day - days.last_day).days,
        transactions=days.days,
        total_value=days.total_minor / scope.scale,
    )


class RfmScores:
    """Every scored account's :class:`~relationkit.domain.scores.RfmRow`, in account id order.

    Attributes:
        as_of: the last instant counted (UTC).
        since: the first instant counted (UTC), or None.
        currency: the currency of the orders counted (None: no purchases).
        population: how many accounts were ranked.
    """

    def __init__(self, runner: Runner, scope: Scope, *, page_size: int) -> None:
        self._run = runner
        self._scope = scope
        self._page_size = page_size
        window = scope.window
        self.as_of: pendulum.DateTime = window.as_of
        self.since: pendulum.DateTime | None = window.since
        self.currency: str | None = window.currency
        if window.currency is None:
            self._cuts = RfmCuts(population=0, recency=(), frequency=(), monetary=())
        else:
            self._cuts = runner.read(
                lambda tx: queries(tx.uow).analytics.rfm_cuts(window), analytics=True
            )
        self.population = self._cuts.population

    def __iter__(self) -> Iterator[RfmRow]:
        for days in account_pages(self._run, self._scope, self._page_size):
            yield rfm_row(days, self._cuts, self._scope)

    def __repr__(self) -> str:
        return f"RfmScores(as_of={self.as_of.isoformat()!r}, population={self.population})"

    def segment_counts(self) -> dict[str, int]:
        """Return how many accounts fall in each segment (segments with none left out)."""
        counts: dict[str, int] = {}
        for row in self:
            counts[row.segment] = counts.get(row.segment, 0) + 1
        return counts

"""Customer analytics values: purchase summaries, RFM scores and segments, historical CLV.

Pure: the rules that turn an account's purchase days into the numbers of the
customer-base literature, the quintile rule of RFM and its named segments.
The storage port computes the per-account facts (first and last purchase
day, number of purchase days, values); this module says what they mean.

Conventions (the customer-base analysis literature, e.g. Fader, Hardie and
Lee 2005):

- a *transaction* is a purchase day of an account, in the kit's time zone:
  orders of the same day count once, their values summed;
- ``frequency`` is the number of repeat transactions (purchase days minus
  one); ``recency`` is the time from the first to the last purchase day;
  ``T`` the time from the first purchase day to the ``as_of`` day; both in
  the summary's unit (:data:`UNITS`);
- ``monetary_value`` is the mean value of the repeat transactions (0 when
  there are none), in major units of the currency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Literal

import attrs

from relationkit.errors import ValidationError

__all__ = [
    "SEGMENTS",
    "SEGMENT_MAP",
    "UNITS",
    "HistoricalClv",
    "RfmRow",
    "SummaryRow",
    "TimeUnit",
    "cut_ranks",
    "quintile",
    "segment_of",
    "unit_days",
]

TimeUnit = Literal["days", "weeks"]
"""The units a summary counts time in."""

UNITS: Mapping[str, int] = {"days": 1, "weeks": 7}
"""Days per unit. Only exact units: a month or a year has no fixed length."""


def unit_days(unit: object) -> int:
    """Return how many days one ``unit`` holds.

    Raises:
        ValidationError: ``unit`` is not one of :data:`UNITS`.
    """
    if not isinstance(unit, str) or unit not in UNITS:
        raise ValidationError("unit", f"must be one of {', '.join(UNITS)}")
    return UNITS[unit]


@attrs.frozen(kw_only=True)
class SummaryRow:
    """One account's purchase summary (see the module docstring for the conventions).

    Attributes:
        account_id: the account.
        frequency: repeat transactions: purchase days minus one.
        recency: first to last purchase day, in the summary's unit.
        T: first purchase day to the ``as_of`` day, in the summary's unit.
        monetary_value: mean net value of the repeat transactions, in major
            units (0.0 without repeat transactions).
        transactions: purchase days (``frequency + 1``).
        total_value: net value of every transaction, first included, in
            major units.
        first_day: the first purchase day (kit's time zone).
        last_day: the last purchase day (kit's time zone).
    """

    account_id: str
    frequency: int
    recency: float
    T: float
    monetary_value: float
    transactions: int
    total_value: float
    first_day: dt.date
    last_day: dt.date


@attrs.frozen(kw_only=True)
class RfmRow:
    """One account's RFM scores and segment.

    Attributes:
        account_id: the account.
        r: recency score, 1 (oldest last purchase) to 5 (most recent).
        f: frequency score, 1 (fewest purchase days) to 5 (most).
        m: monetary score, 1 (lowest total net spend) to 5 (highest).
        segment: the name :func:`segment_of` gives ``(r, f, m)``.
        days_since_last: days from the last purchase day to the ``as_of`` day.
        transactions: purchase days.
        total_value: total net spend, in major units.
    """

    account_id: str
    r: int
    f: int
    m: int
    segment: str
    days_since_last: int
    transactions: int
    total_value: float


@attrs.frozen(kw_only=True)
class HistoricalClv:
    """The practitioners' historical lifetime value, with each factor shown.

    ``value = average_value * purchase_frequency * lifespan``. Per account,
    ``lifespan`` is its tenure: the days from its first purchase day to the
    ``as_of`` day, both counted (so never 0), in the chosen unit;
    ``purchase_frequency`` is transactions per unit of that tenure;
    ``average_value`` the mean net value of a transaction (major units). The
    product is then what the account has spent, net, so far. Overall,
    ``average_value`` is total net spend over all transactions,
    ``purchase_frequency`` all transactions over all tenure, ``lifespan``
    the mean tenure, and ``value`` the mean net spend per account.

    Attributes:
        account_id: the account, or None for the overall figure.
        average_value: mean net value of a transaction, major units.
        purchase_frequency: transactions per unit of time.
        lifespan: tenure in the unit (mean tenure overall).
        value: the product of the three factors, major units.
        transactions: purchase days (summed overall).
        accounts: 1 per account, the number of accounts overall.
        unit: the unit of ``purchase_frequency`` and ``lifespan``.
    """

    account_id: str | None
    average_value: float
    purchase_frequency: float
    lifespan: float
    value: float
    transactions: int
    accounts: int
    unit: str


# -- RFM ------------------------------------------------------------------------


def quintile(rank: int, population: int) -> int:
    """Return the score 1..5 of the ``rank``-th (1-based, ascending) of ``population``.

    The rule of ``pandas.qcut(values.rank(method="first"), 5)``: equal-width
    bins over the ranks 1..n, right-closed, so ``score = ceil(5 (i - 1) / (n
    - 1))``, at least 1. Ties in the measure were broken before ranking (by
    account id, see :func:`cut_ranks`). A population of one scores 1.

    Raises:
        ValueError: ``rank`` is not within ``1..population``.
    """
    if not 1 <= rank <= population:
        raise ValueError(f"rank {rank} is not within 1..{population}")
    if population == 1:
        return 1
    return max(1, -(-5 * (rank - 1) // (population - 1)))


def cut_ranks(population: int) -> tuple[int, ...]:
    """Return the ranks at which scores 2, 3, 4 and 5 begin, for ``population`` accounts.

    Rank ``i`` scores ``s >= 2`` from ``i = floor((s - 1)(n - 1) / 5) + 2``
    on (:func:`quintile`). Ranks past the population are left out, so a
    population of one has no cut and scores 1. A backend ranks accounts by
    ``(measure, account_id)`` ascending and reports the key at each of
    these ranks; an account's score is then one plus the number of cut keys
    at or below its own key.
    """
    ranks = (((s - 1) * (population - 1)) // 5 + 2 for s in range(2, 6))
    return tuple(i for i in ranks if i <= population)


SEGMENTS: tuple[str, ...] = (
    "champions",
    "loyal",
    "potential loyalist",
    "new",
    "promising",
    "need attention",
    "about to sleep",
    "at risk",
    "cannot lose",
    "hibernating",
    "lost",
)
"""Every segment name, best first."""

_GRID: dict[int, tuple[str, str, str, str, str]] = {
    # fm:  1                 2                     3                     4              5
    5: ("new", "potential loyalist", "potential loyalist", "champions", "champions"),
    4: ("promising", "potential loyalist", "loyal", "loyal", "champions"),
    3: ("about to sleep", "need attention", "need attention", "loyal", "loyal"),
    2: ("hibernating", "about to sleep", "at risk", "at risk", "cannot lose"),
    1: ("lost", "hibernating", "at risk", "cannot lose", "cannot lose"),
}

SEGMENT_MAP: Mapping[tuple[int, int], str] = {
    (r, fm): name for r, names in _GRID.items() for fm, name in enumerate(names, start=1)
}
"""``(r, fm) -> segment``, where ``fm = round-half-up((f + m) / 2)``.

==  ==============  ==================  ==================  ===========  ===========
r   fm 1            fm 2                fm 3                fm 4         fm 5
==  ==============  ==================  ==================  ===========  ===========
5   new             potential loyalist  potential loyalist  champions    champions
4   promising       potential loyalist  loyal               loyal        champions
3   about to sleep  need attention      need attention      loyal        loyal
2   hibernating     about to sleep      at risk             at risk      cannot lose
1   lost            hibernating         at risk             cannot lose  cannot lose
==  ==============  ==================  ==================  ===========  ===========
"""


def segment_of(r: int, f: int, m: int) -> str:
    """Return the segment of scores ``(r, f, m)`` through :data:`SEGMENT_MAP`.

    Raises:
        ValueError: a score outside 1..5.
    """
    for score in (r, f, m):
        if not 1 <= score <= 5:
            raise ValueError(f"RFM scores are 1..5, got {(r, f, m)}")
    return SEGMENT_MAP[r, (f + m + 1) // 2]

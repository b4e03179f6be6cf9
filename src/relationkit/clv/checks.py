"""Model checks a user can see: the tracking curve and the holdout comparison.

Both take plain data a host has: each customer's purchase days
(:class:`CustomerDates`, built by :func:`customer_dates` from ``(account_id,
day)`` pairs such as the kit's purchases give). Same-day purchases are one
transaction, as in the summary the model was fitted on.

- :func:`tracking` follows cumulative repeat transactions, actual against
  what the model expects, period by period from the first date to the end
  of the holdout (the classic week-by-week plot over 78 weeks of CDNOW).
- :func:`holdout_comparison` groups customers by their calibration frequency
  (0, 1, ... ``buckets - 1``, ``buckets``+) and compares the mean number of
  holdout transactions with the mean conditional expectation.

Each result prints as a text table (:meth:`TrackingCheck.to_text`) and saves
as a PNG (``save_png``, needs ``relationkit[plot]``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs
import numpy as np

from relationkit.clv._time import span_length
from relationkit.clv._transactions import TransactionModel
from relationkit.errors import ValidationError

__all__ = [
    "CustomerDates",
    "HoldoutCheck",
    "HoldoutRow",
    "TrackingCheck",
    "TrackingRow",
    "customer_dates",
    "holdout_comparison",
    "tracking",
]


@attrs.frozen(kw_only=True)
class CustomerDates:
    """One customer's distinct purchase days, first to last.

    Attributes:
        account_id: the customer's account.
        days: the distinct purchase days, ascending (at least one).
    """

    account_id: str
    days: tuple[dt.date, ...]

    @property
    def first(self) -> dt.date:
        """The first purchase day."""
        return self.days[0]


def customer_dates(purchases: Iterable[tuple[str, dt.date]]) -> list[CustomerDates]:
    """Group ``(account_id, day)`` pairs into each customer's distinct purchase days.

    Datetimes are reduced to their date (in their own time zone: convert to
    the kit's zone first). Customers come out in account id order.
    """
    days: dict[str, set[dt.date]] = defaultdict(set)
    for account, when in purchases:
        days[str(account)].add(when.date() if isinstance(when, dt.datetime) else when)
    return [CustomerDates(account_id=a, days=tuple(sorted(days[a]))) for a in sorted(days)]


@attrs.frozen(kw_only=True)
class TrackingRow:
    """Cumulative repeat transactions at the end of one period.

    Attributes:
        period: 1, 2, ... from the start date.
        end: the last day of the period.
        actual: repeat transactions made so far.
        expected: what the model expects so far.
        holdout: True once the period lies after the calibration window.
    """

    period: int
    end: dt.date
    actual: int
    expected: float
    holdout: bool


@attrs.frozen(kw_only=True)
class TrackingCheck:
    """The tracking curve: actual against expected cumulative repeat transactions.

    Attributes:
        rows: one row per period, calibration periods first.
        calibration_end: the last day of the calibration period.
        unit: the period's unit (``"days"`` or ``"weeks"``).
    """

    rows: tuple[TrackingRow, ...]
    calibration_end: dt.date
    unit: str

    def to_text(self) -> str:
        """Return the rows as a fixed-width text table."""
        lines = [f"{'period':>6}  {'end':>10}  {'actual':>8}  {'expected':>10}  part"]
        for row in self.rows:
            part = "holdout" if row.holdout else "calibration"
            lines.append(
                f"{row.period:>6}  {row.end.isoformat():>10}  {row.actual:>8}  "
                f"{row.expected:>10.1f}  {part}"
            )
        return "\n".join(lines)

    def save_png(self, path: str | Path) -> None:
        """Save the curve as a PNG (needs matplotlib: ``relationkit[plot]``)."""
        from relationkit.clv.plots import plot_tracking

        plot_tracking(self, path)


@attrs.frozen(kw_only=True)
class HoldoutRow:
    """Mean holdout transactions of the customers with one calibration frequency.

    Attributes:
        bucket: ``"0"``, ``"1"``, ... or ``"7+"`` for the last one.
        customers: how many customers fall in it.
        actual: their mean number of holdout transactions.
        expected: their mean conditional expectation.
    """

    bucket: str
    customers: int
    actual: float
    expected: float


@attrs.frozen(kw_only=True)
class HoldoutCheck:
    """The holdout comparison by calibration frequency.

    Attributes:
        rows: one row per calibration-frequency bucket (0, 1, ..., the last
            bucket holding that many or more).
        holdout_length: the holdout period's length, in ``unit``.
        unit: the model's time unit (``"days"`` or ``"weeks"``).
    """

    rows: tuple[HoldoutRow, ...]
    holdout_length: float
    unit: str

    def to_text(self) -> str:
        """Return the rows as a fixed-width text table."""
        lines = [f"{'frequency':>9}  {'customers':>9}  {'actual':>8}  {'expected':>8}"]
        for row in self.rows:
            lines.append(
                f"{row.bucket:>9}  {row.customers:>9}  {row.actual:>8.3f}  {row.expected:>8.3f}"
            )
        return "\n".join(lines)

    def save_png(self, path: str | Path) -> None:
        """Save the comparison as a PNG bar chart (needs ``relationkit[plot]``)."""
        from relationkit.clv.plots import plot_holdout

        plot_holdout(self, path)


def tracking(
    model: TransactionModel,
    customers: Sequence[CustomerDates],
    *,
    start: dt.date,
    calibration_end: dt.date,
    end: dt.date,
    period_days: int = 7,
) -> TrackingCheck:
    """Return cumulative repeat transactions, actual and expected, period by period.

    Period ``k`` covers the days ``start + period_days * (k - 1)`` to
    ``start + period_days * k - 1``; the last period ends on or after ``end``.
    A customer's expected count at the end of a period is the model's
    :meth:`~TransactionModel.expected_purchases` over the time since their
    first purchase. Customers whose first purchase is after
    ``calibration_end`` are left out (the model never saw them).

    Raises:
        ValidationError: if the dates are out of order or there are no customers.
    """
    if not (start <= calibration_end <= end) or period_days < 1:
        raise ValidationError("start", "need start <= calibration_end <= end and period_days >= 1")
    kept = [c for c in customers if c.first <= calibration_end]
    if not kept:
        raise ValidationError("customers", "no customer made a first purchase in the window")
    periods = -(-((end - start).days + 1) // period_days)
    boundaries = [start + dt.timedelta(days=period_days * k) for k in range(1, periods + 1)]
    repeat_days = np.sort(
        np.array([(d - start).days for c in kept for d in c.days[1:]], dtype=np.int64)
    )
    cohorts: dict[dt.date, int] = defaultdict(int)
    for c in kept:
        cohorts[c.first] += 1
    firsts = list(cohorts)
    sizes = np.array([cohorts[f] for f in firsts], dtype=np.float64)
    elapsed = np.array(
        [[span_length(f, b, model.unit) for b in boundaries] for f in firsts], dtype=np.float64
    )
    curve = model.expected_purchases_curve(elapsed.ravel()).reshape(elapsed.shape)
    expected = sizes @ np.where(elapsed > 0, curve, 0.0)
    rows = []
    for k, boundary in enumerate(boundaries):
        cutoff = (boundary - start).days
        rows.append(
            TrackingRow(
                period=k + 1,
                end=boundary - dt.timedelta(days=1),
                actual=int(np.searchsorted(repeat_days, cutoff, side="left")),
                expected=float(expected[k]),
                holdout=boundary - dt.timedelta(days=1) > calibration_end,
            )
        )
    return TrackingCheck(rows=tuple(rows), calibration_end=calibration_end, unit=model.unit)


def holdout_comparison(
    model: TransactionModel,
    customers: Sequence[CustomerDates],
    *,
    calibration_end: dt.date,
    holdout_end: dt.date,
    buckets: int = 7,
) -> HoldoutCheck:
    """Compare holdout transactions with the model's conditional expectations.

    The calibration summary is rebuilt from the days up to
    ``calibration_end`` (in the model's unit); the holdout runs from the day
    after to ``holdout_end`` inclusive.

    Raises:
        ValidationError: if the holdout ends before it starts, ``buckets < 1``
            or no customer bought in the calibration window.
    """
    if holdout_end <= calibration_end or buckets < 1:
        raise ValidationError("holdout_end", "must be after calibration_end, with buckets >= 1")
    kept = [c for c in customers if c.first <= calibration_end]
    if not kept:
        raise ValidationError("customers", "no customer made a first purchase in the window")
    unit = model.unit
    x = np.empty(len(kept))
    tx = np.empty(len(kept))
    age = np.empty(len(kept))
    actual = np.empty(len(kept))
    for i, c in enumerate(kept):
        seen = [d for d in c.days if d <= calibration_end]
        x[i] = len(seen) - 1
        tx[i] = span_length(c.first, seen[-1], unit)
        age[i] = span_length(c.first, calibration_end, unit)
        actual[i] = sum(1 for d in c.days if calibration_end < d <= holdout_end)
    length = span_length(calibration_end, holdout_end, unit)
    expected = model.conditional_expected_purchases(length, x, tx, age)
    bucket = np.minimum(x, buckets).astype(np.int64)
    rows = []
    for b in range(buckets + 1):
        members = bucket == b
        if not np.any(members):
            continue
        rows.append(
            HoldoutRow(
                bucket=f"{b}+" if b == buckets else str(b),
                customers=int(members.sum()),
                actual=float(actual[members].mean()),
                expected=float(expected[members].mean()),
            )
        )
    return HoldoutCheck(rows=tuple(rows), holdout_length=length, unit=unit)

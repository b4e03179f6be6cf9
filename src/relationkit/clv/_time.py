"""Time units, data windows and calendar horizons.

A model works in the unit of the summary it was fitted on (days or weeks of
seven days). Horizons are counted in calendar units from a date: three
calendar months from 1997-09-30 end on 1997-12-30 and last 91 days, 13 weeks;
no month is taken to be 30 days. Dates are converted with pendulum.
"""

from __future__ import annotations

import datetime as dt
import operator
from typing import Literal

import attrs
import pendulum

from relationkit.clv._data import TimeUnit, check_unit
from relationkit.errors import ValidationError

__all__ = ["DAYS_PER_UNIT", "CalendarUnit", "DataWindow", "Horizon", "convert", "span_length"]

CalendarUnit = Literal["days", "weeks", "months"]
"""The units a horizon is counted in."""

DAYS_PER_UNIT: dict[TimeUnit, int] = {"days": 1, "weeks": 7}


def convert(value: float, source: TimeUnit, target: TimeUnit) -> float:
    """Return a duration ``value`` given in ``source`` units in ``target`` units."""
    return value * DAYS_PER_UNIT[source] / DAYS_PER_UNIT[target]


def span_length(start: dt.date, end: dt.date, unit: TimeUnit) -> float:
    """Return the time from ``start`` to ``end`` in ``unit`` (calendar days / 7 for weeks)."""
    return (end - start).days / DAYS_PER_UNIT[unit]


@attrs.frozen(kw_only=True)
class DataWindow:
    """The data a model was fitted on: its time unit, its window and when.

    Attributes:
        unit: the unit of ``recency``, ``T`` and of time-scale parameters
            (``alpha``, ``beta``, and horizons given as plain numbers).
        as_of: the end of the calibration window (``T`` runs to it), if known.
        since: the start of the window, if the summary had one.
        fitted_at: when the model was fitted (from the clock given to ``fit``).
    """

    unit: TimeUnit
    as_of: dt.date | None = None
    since: dt.date | None = None
    fitted_at: pendulum.DateTime | None = None


@attrs.frozen(kw_only=True)
class Horizon:
    """A span of calendar time counted from a date: ``Horizon(months=6)``.

    Give exactly one of ``days``, ``weeks`` or ``months``, a positive whole
    number (an ``int``, not a float, a string or a bool). Months are
    calendar months (pendulum's ``add(months=...)``: 1997-01-31 plus one
    month is 1997-02-28), so their length in days depends on the start.

    Attributes:
        days: whole days.
        weeks: whole weeks of seven days.
        months: whole calendar months.
    """

    days: int = 0
    weeks: int = 0
    months: int = 0

    def __attrs_post_init__(self) -> None:
        """Check that each count is a whole number and exactly one is positive."""
        for name in ("days", "weeks", "months"):
            _check_count(name, getattr(self, name))
        if sum(1 for n in (self.days, self.weeks, self.months) if n != 0) != 1:
            raise ValidationError(
                "horizon", "give exactly one positive count of days, weeks or months"
            )

    @property
    def unit(self) -> CalendarUnit:
        """The calendar unit the horizon is counted in."""
        if self.months:
            return "months"
        return "weeks" if self.weeks else "days"

    @property
    def count(self) -> int:
        """How many of :attr:`unit` the horizon spans."""
        return int(self.months or self.weeks or self.days)

    def boundaries(self, start: dt.date) -> list[dt.date]:
        """Return the end date of each period, from ``start`` on (``count`` dates)."""
        origin = pendulum.date(start.year, start.month, start.day)
        step = {"days": "days", "weeks": "weeks", "months": "months"}[self.unit]
        return [_plain(origin.add(**{step: i})) for i in range(1, self.count + 1)]

    def end(self, start: dt.date) -> dt.date:
        """Return the date the horizon ends, counted from ``start``."""
        return self.boundaries(start)[-1]

    def length(self, start: dt.date, unit: str) -> float:
        """Return the horizon's length from ``start`` in a model's ``unit``."""
        return span_length(start, self.end(start), check_unit(unit))


def _check_count(name: str, value: object) -> None:
    """Refuse a count that is not a whole number >= 0 (0: the unit is not used)."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise ValidationError(name, f"must be a whole number, not {value!r}")
    if operator.index(value) < 0:
        raise ValidationError(name, f"must be a positive count (0: unused), not {value!r}")


def _plain(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, day.day)

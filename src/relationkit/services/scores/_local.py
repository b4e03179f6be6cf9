"""The instants that bound a calendar day in the kit's time zone, and ``as_of`` checks.

A date given as ``since`` means the first instant of that day, and a date
given as ``as_of`` the last microsecond before the next day starts. Local
midnight is not always one instant:

- where clocks fall back over midnight (America/Havana on 2025-11-02,
  01:00 back to 00:00) it happens twice, and the day starts at the
  earlier one (``fold=0``);
- where clocks spring forward over midnight (America/Havana on 2025-03-09,
  00:00 on to 01:00) it never happens, and the day starts at the first
  instant that exists on it, the transition itself.

Scores and analyses look back, never forward: an ``as_of`` after the
clock's now is refused, since facts recorded later would change a result
already computed and kept.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pendulum

from relationkit import _validate as v
from relationkit.errors import ValidationError

__all__ = ["as_of_instant", "day_end", "day_start", "instant", "not_after_now"]

_MICROSECOND = dt.timedelta(microseconds=1)
_RANGE = "must fall between 0001-01-02 and 9998-12-31"


def _first_second_of(
    day: dt.date, tz: ZoneInfo, low: dt.datetime, high: dt.datetime
) -> dt.datetime:
    """Return the first whole second in ``(low, high]`` (UTC) that falls on ``day`` in ``tz``."""
    lo = int(low.timestamp())
    hi = int(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if dt.datetime.fromtimestamp(mid, tz).date() >= day:
            hi = mid
        else:
            lo = mid
    return dt.datetime.fromtimestamp(hi, dt.UTC)


def day_start(day: dt.date, zone: str) -> pendulum.DateTime:
    """Return the first instant of ``day`` in ``zone``, in UTC.

    Args:
        day: the calendar day.
        zone: an IANA time zone.

    Raises:
        ValidationError: the day's start falls outside the instants accepted.
    """
    tz = ZoneInfo(zone)
    wall = dt.datetime(day.year, day.month, day.day)
    try:
        # fold=0: an ambiguous midnight resolves to its earlier occurrence.
        start = wall.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
        if start.astimezone(tz).replace(tzinfo=None) != wall:
            # Midnight falls in a gap. fold=0 reads it with the offset before
            # the gap, fold=1 with the one after: the transition lies between.
            later = wall.replace(tzinfo=tz, fold=1).astimezone(dt.UTC)
            low, high = sorted((start, later))
            start = _first_second_of(day, tz, low, high)
    except (OverflowError, ValueError):
        raise ValidationError("day", _RANGE) from None
    return pendulum.instance(start, tz=pendulum.UTC)


def day_end(day: dt.date, zone: str) -> pendulum.DateTime:
    """Return the last microsecond of ``day`` in ``zone`` (the day may last 23 or 25 hours).

    Raises:
        ValidationError: the day's end falls outside the instants accepted.
    """
    if day >= dt.date.max:
        raise ValidationError("day", _RANGE)
    return day_start(day + dt.timedelta(days=1), zone) - _MICROSECOND


def instant(value: object, field: str, zone: str, *, end: bool) -> pendulum.DateTime:
    """Return an aware datetime as UTC; a date as the start (or the end) of that day in ``zone``.

    Raises:
        ValidationError: not an aware datetime or a date, or out of range.
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        if not v.MIN_INSTANT.date() <= value <= v.MAX_INSTANT.date():
            raise ValidationError(field, _RANGE)
        try:
            bound = day_end(value, zone) if end else day_start(value, zone)
        except ValidationError:
            raise ValidationError(field, _RANGE) from None
        return v.aware_utc(bound, field)
    return v.aware_utc(value, field)


def not_after_now(when: pendulum.DateTime, now: pendulum.DateTime, field: str) -> pendulum.DateTime:
    """Return ``when`` unless it is after ``now``.

    Raises:
        ValidationError: ``when`` is after ``now``.
    """
    if when > now:
        raise ValidationError(field, f"must not be after now ({now.isoformat()})")
    return when


def as_of_instant(
    value: object, field: str, zone: str, now: pendulum.DateTime
) -> pendulum.DateTime:
    """Return the instant an ``as_of`` stands for: never after ``now``.

    A date means the end of that day in ``zone``; today's date (the day
    ``now`` falls on) means ``now``, since the rest of the day has not
    happened yet.

    Raises:
        ValidationError: not an aware datetime or a date, out of range, or
            after ``now`` (a later day, or an instant in the future).
    """
    when = instant(value, field, zone, end=True)
    is_date = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if is_date and when > now and instant(value, field, zone, end=False) <= now:
        return now
    return not_after_now(when, now, field)

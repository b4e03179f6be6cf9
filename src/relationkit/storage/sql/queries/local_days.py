"""The calendar day of a stored instant in a time zone, as a SQL expression.

- PostgreSQL: ``CAST(timezone(:zone, occurred_at) AS DATE)``, the server's
  own IANA database (``AT TIME ZONE``).
- SQLite has no time zones. Instants are stored as fixed-width UTC text
  (:class:`~relationkit.storage.sql.types.UtcDateTime`), so in UTC the day
  is ``substr(occurred_at, 1, 10)``. Any other zone goes through
  ``rk_local_day(occurred_at)``, a deterministic SQL function registered
  on the connection for the zone before the query runs, which asks Python's
  :mod:`zoneinfo` (the same rules the memory backend uses, so the two agree
  for every zone, every DST rule and every historical offset). A fixed
  offset or a transition table joined in SQL would have to be built for each
  zone and date range and would be wrong outside it; the function is
  always right. Its cost is one Python call per purchase row, kept small by
  remembering the day of each UTC hour whose instants all fall on one local
  day (an hour crossing local midnight, as with a +05:45 offset, or holding
  a transition is worked out per row).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Date, String, bindparam, cast, func
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["FUNCTION", "local_day", "prepare"]

FUNCTION = "rk_local_day"
"""The SQL function's name on SQLite connections."""

_REGISTERED = "relationkit_local_day"
_LAST = dt.timedelta(seconds=3599, microseconds=999_999)
_MAX_HOURS = 200_000


class _LocalDays:
    """``rk_local_day(utc_text)``: the ISO day of a stored instant in one zone."""

    def __init__(self, zone: str) -> None:
        self._tz = ZoneInfo(zone)
        self._hours: dict[str, str] = {}

    def _hour(self, hour: str) -> str:
        start = dt.datetime.fromisoformat(f"{hour}:00:00+00:00")
        first = start.astimezone(self._tz).date()
        last = (start + _LAST).astimezone(self._tz).date()
        # "" marks an hour whose instants do not all fall on one local day.
        return first.isoformat() if first == last else ""

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        hour = text[:13]
        day = self._hours.get(hour)
        if day is None:
            if len(self._hours) >= _MAX_HOURS:
                self._hours.clear()
            day = self._hours[hour] = self._hour(hour)
        if day:
            return day
        instant = dt.datetime.fromisoformat(f"{text}+00:00")
        return instant.astimezone(self._tz).date().isoformat()


def prepare(connection: Connection, zone: str) -> None:
    """Make ``rk_local_day`` answer for ``zone`` on a SQLite connection (nothing elsewhere).

    The function of each zone is kept on the DBAPI connection, with the days
    of the hours it has seen; registering it again before each statement
    points the name at the right zone.
    """
    if connection.dialect.name != "sqlite" or zone == "UTC":
        return
    fairy = connection.connection
    functions: dict[str, _LocalDays] = fairy.info.setdefault(_REGISTERED, {})
    function = functions.get(zone)
    if function is None:
        function = functions[zone] = _LocalDays(zone)
    raw: Any = fairy.dbapi_connection
    raw.create_function(FUNCTION, 1, function, deterministic=True)


def local_day(dialect: str, column: ColumnElement[Any], *, utc: bool) -> ColumnElement[Any]:
    """Return the local calendar day of ``column`` in the zone bound as ``:zone``.

    Args:
        dialect: ``"sqlite"`` or ``"postgresql"`` (any other dialect is
            treated like PostgreSQL).
        column: a :class:`~relationkit.storage.sql.types.UtcDateTime` column.
        utc: the zone is UTC (SQLite then needs no function).

    Returns:
        A DATE on PostgreSQL, ISO ``YYYY-MM-DD`` text on SQLite (where
        :func:`prepare` must have run for the zone on the connection).
    """
    if dialect == "sqlite":
        if utc:
            return func.substr(column, 1, 10)
        called: ColumnElement[Any] = getattr(func, FUNCTION)(column)
        return called
    return cast(func.timezone(bindparam("zone", type_=String()), column), Date)

"""Column types that keep the SQL backend's values exact across dialects.

- :class:`UtcDateTime` stores an instant in UTC and always reads back an aware
  pendulum datetime in UTC. PostgreSQL gets ``TIMESTAMP WITH TIME ZONE``;
  SQLite, which has no date type, gets a fixed-width text
  ``YYYY-MM-DD HH:MM:SS.ffffff`` so that comparing strings compares instants.
- :func:`key_type` is a string column for identifiers that sorts by code point
  on every dialect (``COLLATE "C"`` on PostgreSQL), as Python's ``sorted`` and
  the memory backend do.
- :func:`json_type` is JSON (text on SQLite, ``JSON`` on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from sqlalchemy import JSON, DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["UtcDateTime", "json_type", "key_type", "to_utc"]

_UTC = dt.UTC
_PENDULUM_UTC = pendulum.UTC
# "2026-03-01 10:00:00.000000": 26 characters, fixed width, so it sorts as it compares.
_SQLITE_WIDTH = 26


def to_utc(value: dt.datetime) -> pendulum.DateTime:
    """Return an aware datetime as a pendulum datetime in UTC.

    Builds the pendulum object directly: ``pendulum.instance`` is about ten
    times slower, which shows when a backfill reads back many rows.
    """
    offset = value.utcoffset()  # None only for SQLite text, which is UTC by construction
    if offset:
        value = dt.datetime.astimezone(value, _UTC)
    elif offset is not None and type(value) is pendulum.DateTime and value.tzinfo is _PENDULUM_UTC:
        # Already what the models hold (their validators convert to UTC).
        return value
    return pendulum.DateTime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
        tzinfo=_PENDULUM_UTC,
    )


class UtcDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime stored in UTC; naive datetimes are refused.

    Read back as ``pendulum.DateTime`` in UTC on every dialect.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            # SQLAlchemy's SQLite DATETIME drops the offset and parses with a
            # regular expression; a text column we format ourselves is exact
            # and much faster.
            return dialect.type_descriptor(String(_SQLITE_WIDTH))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        tz = value.tzinfo
        # Models hold pendulum UTC already: skip the (slow) offset look-up.
        if tz is not _PENDULUM_UTC and tz is not _UTC:
            offset = value.utcoffset()
            if offset is None:
                raise ValueError("naive datetimes cannot be stored: their instant is unknown")
            if offset and dialect.name == "sqlite":
                value = dt.datetime.astimezone(value, _UTC)
        if dialect.name != "sqlite":
            if type(value) is dt.datetime:
                return value
            # A plain datetime for the driver: psycopg sends a timestamp as its
            # distance from an epoch, and pendulum's subtraction builds a
            # (slow) Interval where datetime's makes a timedelta.
            return dt.datetime(
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
                tzinfo=value.tzinfo,
                fold=value.fold,
            )
        # datetime's own isoformat (not pendulum's), with the "+00:00" cut off.
        return dt.datetime.isoformat(value, " ", "microseconds")[:_SQLITE_WIDTH]

    def process_result_value(self, value: Any, dialect: Dialect) -> pendulum.DateTime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return to_utc(value)


def key_type(length: int) -> TypeEngine[str]:
    """Return a string type for identifiers that sorts by code point everywhere."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def json_type() -> TypeEngine[Any]:
    """Return a JSON type: ``JSON`` on PostgreSQL, text elsewhere.

    Not ``JSONB``: it rejects ``\\u0000`` in strings, which the memory
    backend (and the attribute validator) accept. Queries can still cast to
    ``jsonb`` where they need its operators.
    """
    return JSON()

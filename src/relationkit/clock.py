"""Clocks: the only way relationkit reads the time.

The domain never calls ``now()`` itself; services ask the kit's clock, so a
test or a backfill can pin time with :class:`FrozenClock`.
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

import pendulum

__all__ = ["Clock", "FrozenClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> pendulum.DateTime:
        """Return the current time in UTC."""
        ...


class SystemClock:
    """The wall clock (the default)."""

    def now(self) -> pendulum.DateTime:
        """Return the current wall-clock time in UTC."""
        return pendulum.now("UTC")

    def __repr__(self) -> str:
        return "SystemClock()"


class FrozenClock:
    """A clock that only moves when told to; for tests, demos and replays.

    Args:
        start: the initial time; must be timezone-aware.

    Raises:
        ValidationError: if ``start`` is naive.
    """

    def __init__(self, start: pendulum.DateTime) -> None:
        from relationkit._validate import aware_utc

        self._now = aware_utc(start, "start")
        self._lock = threading.Lock()

    def now(self) -> pendulum.DateTime:
        """Return the frozen time in UTC."""
        with self._lock:
            return self._now

    def advance(
        self,
        *,
        days: int = 0,
        hours: int = 0,
        minutes: int = 0,
        seconds: float = 0,
        weeks: int = 0,
        months: int = 0,
        years: int = 0,
    ) -> pendulum.DateTime:
        """Move the clock forward and return the new time."""
        with self._lock:
            self._now = self._now.add(
                years=years,
                months=months,
                weeks=weeks,
                days=days,
                hours=hours,
                minutes=minutes,
                seconds=seconds,
            )
            return self._now

    def set(self, dt: pendulum.DateTime) -> None:
        """Jump to ``dt`` (forwards or backwards).

        Raises:
            ValidationError: if ``dt`` is naive.
        """
        from relationkit._validate import aware_utc

        value = aware_utc(dt, "dt")
        with self._lock:
            self._now = value

    def __repr__(self) -> str:
        return f"FrozenClock({self._now.isoformat()})"

"""When earned points expire: the Expiry rule and its local-day boundaries."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Literal

import attrs
import pendulum

from relationkit.domain.loyalty.limits import MAX_EXPIRY_DAYS, MAX_EXPIRY_MONTHS, MAX_EXPIRY_YEARS
from relationkit.errors import ValidationError

ExpiryKind = Literal["never", "after_days", "end_of_month", "end_of_year"]

_EXPIRY_LIMITS = {
    "never": 0,
    "after_days": MAX_EXPIRY_DAYS,
    "end_of_month": MAX_EXPIRY_MONTHS,
    "end_of_year": MAX_EXPIRY_YEARS,
}


@attrs.frozen
class Expiry:
    """When earned points expire, computed in the program's time zone.

    Build it with :meth:`never`, :meth:`after_days`, :meth:`end_of_month` or
    :meth:`end_of_year`. A lot expires at the first instant of the day after
    its last valid local day, so "365 days" never loses a day to a UTC offset.
    Counts reach at most a century (:data:`MAX_EXPIRY_DAYS` days,
    :data:`MAX_EXPIRY_MONTHS` months or :data:`MAX_EXPIRY_YEARS` years).

    Attributes:
        kind: ``"never"``, ``"after_days"``, ``"end_of_month"`` or
            ``"end_of_year"``: which rule applies.
        count: the rule's number: days for ``after_days``, months after the
            month of earning for ``end_of_month``, years after the year of
            earning for ``end_of_year`` (0 for ``never``).
    """

    kind: ExpiryKind = "never"
    count: int = 0

    def __attrs_post_init__(self) -> None:
        if self.kind not in ("never", "after_days", "end_of_month", "end_of_year"):
            raise ValidationError(
                "expiry", "kind must be never, after_days, end_of_month or end_of_year"
            )
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise ValidationError("expiry", "count must be a non-negative integer")
        if self.kind == "after_days" and self.count < 1:
            raise ValidationError("expiry", "after_days needs at least one day")
        limit = _EXPIRY_LIMITS[self.kind]
        if self.kind != "never" and self.count > limit:
            raise ValidationError("expiry", f"{self.kind} allows at most {limit:_}")

    @classmethod
    def never(cls) -> Expiry:
        """Points never expire."""
        return cls("never", 0)

    @classmethod
    def after_days(cls, days: int) -> Expiry:
        """Points earned on local day D expire after the end of local day D + ``days``."""
        return cls("after_days", days)

    @classmethod
    def end_of_month(cls, months: int = 0) -> Expiry:
        """Points expire after the last local day of the month, ``months`` after earning."""
        return cls("end_of_month", months)

    @classmethod
    def end_of_year(cls, years: int = 0) -> Expiry:
        """Points expire after December 31 (local), ``years`` after the year of earning."""
        return cls("end_of_year", years)

    def expires_at(
        self, earned_at: pendulum.DateTime, timezone: str, *, field: str = "occurred_at"
    ) -> pendulum.DateTime | None:
        """Return the UTC instant from which points earned at ``earned_at`` are expired.

        Args:
            earned_at: when the points were earned (aware).
            timezone: the IANA zone whose local days are counted.
            field: the input ``earned_at`` came from, named by the error.

        Raises:
            ValidationError: naming ``field`` if the expiry would fall after
                9999-12-31, which no backend can store.
        """
        if self.kind == "never":
            return None
        zone = _zone(timezone)
        try:
            local = earned_at.astimezone(zone)
            return _boundary(self.kind, self.count, local.date(), timezone)
        except (OverflowError, ValueError):  # pendulum says "year 10000 is out of range"
            raise ValidationError(
                field, "is too late for the expiry rule: its points would expire after 9999"
            ) from None


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


@functools.lru_cache(maxsize=4096)
def _boundary(kind: str, count: int, day_: dt.date, timezone: str) -> pendulum.DateTime:
    """The first instant after the last valid local day (cached: a backfill asks often)."""
    day = pendulum.datetime(day_.year, day_.month, day_.day, tz=timezone)
    if kind == "after_days":
        boundary = day.add(days=count + 1)
    elif kind == "end_of_month":
        boundary = day.start_of("month").add(months=count + 1)
    else:
        boundary = day.start_of("year").add(years=count + 1)
    return boundary.in_timezone("UTC")

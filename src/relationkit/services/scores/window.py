"""Which purchases an analysis reads: resolved once, before any page is read."""

from __future__ import annotations

import datetime as dt

import attrs
import pendulum

from relationkit._currencies import MINOR_UNITS
from relationkit._runtime import Context, Runner
from relationkit.errors import ValidationError
from relationkit.services.scores._local import as_of_instant, instant
from relationkit.storage.fallback import queries
from relationkit.storage.ports.analytics import SummaryWindow

__all__ = ["Scope", "resolve_scope"]


@attrs.frozen(kw_only=True)
class Scope:
    """A resolved analysis window.

    Attributes:
        window: what the storage port reads (``currency`` None: no purchase
            in the window at all).
        as_of_day: the calendar day of ``as_of`` in the kit's time zone.
        digits: the currency's minor-unit digits (2 for EUR, 0 for JPY).
    """

    window: SummaryWindow
    as_of_day: dt.date
    digits: int

    @property
    def scale(self) -> int:
        """Minor units per major unit."""
        return int(10**self.digits)


def _plain_day(moment: pendulum.DateTime, zone: str) -> dt.date:
    """The day of ``moment`` in ``zone`` as a plain date (pendulum's arithmetic is slow)."""
    local = moment.in_timezone(zone)
    return dt.date(local.year, local.month, local.day)


def resolve_scope(
    runner: Runner,
    ctx: Context,
    *,
    as_of: object,
    since: object,
    currency: object,
) -> Scope:
    """Validate the arguments of an analysis and settle its currency.

    Args:
        runner: the kit's runner (one read, when ``currency`` is None).
        ctx: the kit's context (its clock and time zone).
        as_of: an aware datetime, a date (its end in the kit's time zone) or
            None (the clock's now); never after the clock's now, since ``T``
            runs to the end of the observation and an observation cannot end
            in the future.
        since: an aware datetime, a date (its first instant) or None.
        currency: an ISO 4217 code, or None to use the only currency of the
            purchases in the window.

    Raises:
        ValidationError: naive or out-of-range datetimes, ``as_of`` after
            the clock's now, ``since`` after ``as_of``, an unknown currency,
            or ``currency`` None while the window holds purchases in several
            currencies.
    """
    zone = ctx.timezone
    now = ctx.clock.now()
    end = now
    if as_of is not None:
        end = as_of_instant(as_of, "as_of", zone, now)
    start = None if since is None else instant(since, "since", zone, end=False)
    if start is not None and start > end:
        raise ValidationError("since", "must not be after as_of")
    window = SummaryWindow(zone=zone, as_of=end, since=start)
    if currency is None:
        found = runner.read(
            lambda tx: queries(tx.uow).analytics.purchase_currencies(window), analytics=True
        )
        if len(found) > 1:
            raise ValidationError(
                "currency",
                f"is required: the purchases in this window are in {', '.join(found)}",
            )
        code = found[0] if found else None
    elif isinstance(currency, str) and currency in MINOR_UNITS:
        code = currency
    else:
        raise ValidationError("currency", "must be an ISO 4217 code")
    return Scope(
        window=attrs.evolve(window, currency=code),
        as_of_day=_plain_day(end, zone),
        digits=MINOR_UNITS[code] if code is not None else 2,
    )

"""An account's purchases as the scores read them: net spend per day.

Days are calendar days in the kit's time zone holding an order that counts
by the purchase summary's rule (:mod:`relationkit.storage.ports.analytics`):
an order refunded in full by ``as_of`` does not, an order of 0 without
refunds does. Each day's amount is its counted orders net of the refunds
recorded by ``as_of`` (in minor units of one currency), so it may be 0.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence

import attrs
import pendulum

__all__ = ["PurchaseDay", "recency_risk", "spend_between", "spend_windows", "usual_gap_days"]


@attrs.frozen(kw_only=True)
class PurchaseDay:
    """The purchases of one calendar day."""

    day: pendulum.Date
    net_minor: int
    orders: int = 1


def usual_gap_days(days: Sequence[PurchaseDay]) -> float | None:
    """Return the median number of days between consecutive purchase days.

    Returns None with fewer than two purchase days (no gap to learn from).
    """
    ordered = sorted(d.day for d in days)
    gaps = [(b - a).in_days() for a, b in itertools.pairwise(ordered)]
    return float(statistics.median(gaps)) if gaps else None


def recency_risk(days_since: int, gap: float) -> float:
    """Return 0 up to one usual gap since the last purchase, rising to 1 at three gaps."""
    ratio = days_since / max(gap, 1.0)
    return min(1.0, max(0.0, (ratio - 1.0) / 2.0))


def spend_between(days: Sequence[PurchaseDay], after: pendulum.Date, until: pendulum.Date) -> int:
    """Return the net spend of the days with ``after < day <= until``."""
    return sum(d.net_minor for d in days if after < d.day <= until)


def spend_windows(
    days: Sequence[PurchaseDay], today: pendulum.Date, window: int
) -> tuple[int, int]:
    """Return the net spend of the last ``window`` days to ``today`` and of the window before."""
    start = today.subtract(days=window)
    before = spend_between(days, start.subtract(days=window), start)
    return spend_between(days, start, today), before

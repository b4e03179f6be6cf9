"""The RFM segment table: ``kit.scores.rfm`` counted by named segment.

RFM needs no extra: the scores are computed where the data lives (one query
for the quintile cuts, then a page of accounts at a time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import relationkit as rk

from .common import CURRENCY, heading

LAST_DAY = dt.date(1998, 6, 30)
"""The last day of the data: the RFM and lifetime scores are taken at its end."""


@dataclass
class _Segment:
    """Running totals of one segment's accounts."""

    accounts: int = 0
    r: int = 0
    f: int = 0
    m: int = 0
    days_since_last: int = 0
    spend: float = 0.0


def show_rfm(kit: rk.RelationKit) -> None:
    """Print how many accounts each RFM segment holds, with their mean scores."""
    scores = kit.scores.rfm(as_of=LAST_DAY, currency=CURRENCY)
    segments: dict[str, _Segment] = {}
    for row in scores:
        seg = segments.setdefault(row.segment, _Segment())
        seg.accounts += 1
        seg.r += row.r
        seg.f += row.f
        seg.m += row.m
        seg.days_since_last += row.days_since_last
        seg.spend += row.total_value
    counted = sum(seg.accounts for seg in segments.values())
    heading(f"RFM segments on {LAST_DAY.isoformat()}")
    print(
        f"kit.scores.rfm(as_of={LAST_DAY.isoformat()}) scored {scores.population:,} accounts "
        "1 to 5 on each measure:"
    )
    print("r on the last purchase day, f on the purchase days, m on the net spend;")
    print("scores are quintiles of the rank (ties broken by account id), and the segment")
    print("comes from r and the mean of f and m (docs/scoring.md has the map). Per segment:")
    print("accounts, share, and the means of r, f, m, days since the last purchase and spend.")
    print(
        f"{'segment':<20} {'accounts':>8} {'share':>6}   {'r':>3} {'f':>3} {'m':>3}  "
        f"{'days since last':>15} {'spend (' + CURRENCY + ')':>11}"
    )
    ranked = sorted(segments.items(), key=lambda item: (-item[1].accounts, item[0]))
    for name, seg in ranked:
        n = seg.accounts
        print(
            f"{name:<20} {n:>8,} {100 * n / (counted or 1):>5.1f}%   "
            f"{seg.r / n:>3.1f} {seg.f / n:>3.1f} {seg.m / n:>3.1f}  "
            f"{seg.days_since_last / n:>15,.0f} {seg.spend / n:>11,.2f}"
        )
    print(f"{'total':<20} {counted:>8,} {100.0 if counted else 0.0:>5.1f}%")

"""Read the CDNOW sample (tests/data/cdnow) into the literature's calibration summary.

Test helper, not public API. Purchases by one customer on one day are one
transaction (values summed); the calibration window is 1997-01-01 to
1997-09-30 inclusive, the holdout runs to 1998-06-30; weeks are days / 7.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "cdnow"
SAMPLE = DATA / "CDNOW_sample.txt"
MASTER = DATA / "CDNOW_master.txt"
CALIBRATION_START = dt.date(1997, 1, 1)
CALIBRATION_END = dt.date(1997, 9, 30)
HOLDOUT_END = dt.date(1998, 6, 30)


@dataclass(frozen=True)
class Row:
    """One customer's calibration summary, shaped as the kit's purchase summary rows."""

    account_id: str
    frequency: int
    recency: float
    T: float
    monetary_value: float


@dataclass(frozen=True)
class Summary:
    """The rows plus the attributes the kit's summary carries."""

    rows: tuple[Row, ...]
    unit: str
    as_of: dt.date
    since: dt.date

    def __iter__(self) -> Iterator[Row]:
        """Iterate over the rows, as over the kit's summary."""
        return iter(self.rows)

    def __len__(self) -> int:
        """Return the number of customers."""
        return len(self.rows)


@cache
def transactions(path: Path = SAMPLE) -> dict[str, dict[dt.date, float]]:
    """Return each customer's purchase days with the day's summed value, whole history."""
    days: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    with path.open(encoding="ascii") as lines:
        for line in lines:
            cells = line.split()
            if not cells or not cells[0].isdigit():
                continue  # the master file's header
            customer, date, value = cells[0], cells[-3], float(cells[-1])
            day = dt.date(int(date[:4]), int(date[4:6]), int(date[6:]))
            days[customer][day] += value
    return {c: dict(d) for c, d in days.items()}


def calibration_summary(unit: str = "weeks", path: Path = SAMPLE) -> Summary:
    """Return the calibration summary in ``unit`` (``"days"`` or ``"weeks"``)."""
    per = 7.0 if unit == "weeks" else 1.0
    rows = []
    for customer, days in sorted(transactions(path).items()):
        seen = sorted(d for d in days if d <= CALIBRATION_END)
        if not seen:
            continue
        first, last = seen[0], seen[-1]
        repeats = [days[d] for d in seen[1:]]
        rows.append(
            Row(
                account_id=customer,
                frequency=len(repeats),
                recency=(last - first).days / per,
                T=(CALIBRATION_END - first).days / per,
                monetary_value=sum(repeats) / len(repeats) if repeats else 0.0,
            )
        )
    return Summary(rows=tuple(rows), unit=unit, as_of=CALIBRATION_END, since=CALIBRATION_START)


def holdout_counts(path: Path = SAMPLE) -> dict[str, int]:
    """Return each customer's transactions (purchase days) in the 39 holdout weeks."""
    return {
        customer: sum(1 for d in days if CALIBRATION_END < d <= HOLDOUT_END)
        for customer, days in transactions(path).items()
    }

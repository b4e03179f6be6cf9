"""Read the CDNOW purchase files as orders for ``kit.purchases.record_many``.

The files are described in ``examples/data/cdnow/README.md``. Each row of
either file becomes one order::

    import relationkit as rk
    from cdnow_data import MASTER, iter_orders

    with rk.open("sqlite:///cdnow.db") as kit:
        kit.purchases.record_many(iter_orders(MASTER))

Rows are streamed: the file is read line by line and only the per-day order
counters are kept in memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import NotRequired, TypedDict

import pendulum

import relationkit as rk

__all__ = [
    "DATA_DIR",
    "MASTER",
    "SAMPLE",
    "TIMEZONE",
    "OrderRow",
    "count_orders",
    "iter_orders",
]

DATA_DIR = Path(__file__).resolve().parent / "data" / "cdnow"
MASTER = DATA_DIR / "CDNOW_master.txt"
"""69,659 purchases by 23,570 customers."""
SAMPLE = DATA_DIR / "CDNOW_sample.txt"
"""The 1/10 sample: 6,919 purchases by 2,357 customers."""
TIMEZONE = "America/New_York"
"""The zone the purchase dates are read in (CDNOW was a US retailer)."""

_CURRENCY = "USD"
_SKU = "CD"
_CENT = Decimal("0.01")


class OrderRow(TypedDict):
    """One CDNOW purchase, keyed as ``record_many`` expects."""

    order_id: str
    customer_external_id: str
    occurred_at: pendulum.DateTime
    total: rk.Money
    lines: NotRequired[list[rk.LineItem]]


def _lines(total: Decimal, cds: int) -> list[rk.LineItem] | None:
    """Return the one line of an order, or None if no honest line exists.

    The data gives only the order's total and the number of CDs. A unit price
    is known only when the total divides evenly into cents; otherwise any
    per-CD price would be invented, so the order is recorded without lines.
    """
    unit = total / cds
    if unit != unit.quantize(_CENT):
        return None
    return [rk.LineItem(sku=_SKU, quantity=cds, unit_price=rk.Money(unit, _CURRENCY))]


def iter_orders(path: Path | str, *, limit: int | None = None) -> Iterator[OrderRow]:
    """Stream the purchases of a CDNOW file as ``record_many`` rows, in file order.

    Reads the master file (``customer_id date cds dollars``, after a header)
    and the sample file (``master_id sample_id date cds dollars``, no header);
    the customer is always the master id, so both give the same order ids.

    Args:
        path: ``CDNOW_master.txt`` or ``CDNOW_sample.txt``.
        limit: stop after this many orders.

    Yields:
        Rows with ``order_id`` (``"{customer}-{YYYYMMDD}-{n}"``, ``n`` counting
        that customer's rows of that day from 0), ``customer_external_id``
        (``"cdnow-{customer}"``), ``occurred_at`` (noon in New York on the
        purchase day), ``total`` (USD, zero allowed) and, when the total
        divides evenly by the number of CDs, one ``"CD"`` line.

    Raises:
        ValueError: on a line that is not a CDNOW row, naming the line number.
    """
    zone = pendulum.timezone(TIMEZONE)
    # Every (customer, day) seen: the file is grouped by customer, but a
    # counter that forgot earlier days would reuse an order id silently if it
    # were not.
    seen: dict[tuple[str, str], int] = {}
    dates: dict[str, pendulum.DateTime] = {}
    with Path(path).open(encoding="ascii") as handle:
        numbered = enumerate(handle, start=1)
        for number, line in itertools.islice(_data_lines(numbered), limit):
            fields = line.split()
            if len(fields) == 4:
                customer, day, cds_text, dollars = fields
            elif len(fields) == 5:
                customer, _sample_id, day, cds_text, dollars = fields
            else:
                raise ValueError(f"{path}:{number}: expected 4 or 5 columns, got {len(fields)}")
            try:
                cds = int(cds_text)
                when = dates.get(day)
                if when is None:
                    when = pendulum.datetime(
                        int(day[:4]), int(day[4:6]), int(day[6:8]), 12, tz=zone
                    )
                    dates[day] = when
                total = Decimal(dollars)
                money = rk.Money(total, _CURRENCY)
            except (ValueError, ArithmeticError) as exc:
                raise ValueError(f"{path}:{number}: not a CDNOW row ({exc})") from None
            if cds < 1:
                raise ValueError(f"{path}:{number}: number_of_cds must be at least 1")
            n = seen.get((customer, day), 0)
            seen[customer, day] = n + 1
            row: OrderRow = {
                "order_id": f"{customer}-{day}-{n}",
                "customer_external_id": f"cdnow-{customer}",
                "occurred_at": when,
                "total": money,
            }
            lines = _lines(total, cds)
            if lines is not None:
                row["lines"] = lines
            yield row


def _data_lines(numbered: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Drop blank lines and the master file's header."""
    for number, line in numbered:
        stripped = line.strip()
        if not stripped or (number == 1 and not stripped[0].isdigit()):
            continue
        yield number, stripped


def count_orders(path: Path | str) -> int:
    """Return the number of purchases in a CDNOW file without parsing them."""
    with Path(path).open(encoding="ascii") as handle:
        return sum(1 for _ in _data_lines(enumerate(handle, start=1)))

"""Open the demo's kit and replay the CDNOW purchases into it, in ``record_many`` batches."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cdnow_data import OrderRow, count_orders, iter_orders

import relationkit as rk

from .common import CURRENCY, END_OF_DATA, heading
from .loyalty_report import LOYALTY


def default_db() -> Path:
    """Return the demo's SQLite file: in the user's cache, outside the source tree."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "relationkit" / "cdnow_demo.db"


@dataclass(frozen=True)
class Replayed:
    """What :func:`replay` sent and what the kit said."""

    result: rk.BulkResult
    orders: int
    batches: int
    revenue: rk.Money
    seconds: float


def open_kit(args: argparse.Namespace) -> rk.RelationKit:
    """Open the demo's kit: a fresh SQLite file (or memory), clock at the end of the data.

    Whatever the kit should do on every purchase is set up here, before
    :func:`replay`: the loyalty program (:data:`~cdnow.loyalty_report.LOYALTY`).
    The demo's ``main`` adds the hooks of the points tally and the recency table.
    """
    clock = rk.FrozenClock(END_OF_DATA)
    if args.memory:
        return rk.open(clock=clock, loyalty=LOYALTY)
    path = Path(args.db)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not args.keep:
        # WAL mode leaves -wal and -shm files beside the database.
        for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    return rk.open(f"sqlite:///{path.resolve().as_posix()}", clock=clock, loyalty=LOYALTY)


def _progress(total: int) -> tuple[Callable[[rk.BulkResult], None], Callable[[], None]]:
    """Return an ``on_batch`` callback driving a progress bar, and its closer."""
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm comes with the "demo" extra; the demo runs without it
        print("(no progress bar: pip install 'relationkit[demo]' for one)")
        return (lambda _batch: None), (lambda: None)
    bar = tqdm(total=total, unit=" orders", desc="replaying", file=sys.stderr, mininterval=0.2)

    def on_batch(batch: rk.BulkResult) -> None:
        bar.update(batch.recorded + batch.unchanged)

    return on_batch, bar.close


def replay(kit: rk.RelationKit, path: Path, *, limit: int | None, batch_size: int) -> Replayed:
    """Send every purchase of ``path`` to ``kit.purchases.record_many``, in batches.

    Args:
        kit: the kit to fill.
        path: a CDNOW file.
        limit: send only the first ``limit`` purchases.
        batch_size: orders per transaction.

    Returns:
        The combined result, with what was sent and how long it took.
    """
    total = count_orders(path) if limit is None else min(limit, count_orders(path))
    sent = 0
    revenue = rk.Money.zero(CURRENCY)
    batches = 0

    def rows() -> Iterator[OrderRow]:
        nonlocal sent, revenue
        for row in iter_orders(path, limit=limit):
            sent += 1
            revenue = revenue + row["total"]
            yield row

    tick, close = _progress(total)

    def on_batch(batch: rk.BulkResult) -> None:
        nonlocal batches
        batches += 1
        tick(batch)

    start = time.perf_counter()
    try:
        result = kit.purchases.record_many(rows(), batch_size=batch_size, on_batch=on_batch)
    finally:
        close()
    seconds = time.perf_counter() - start
    return Replayed(result=result, orders=sent, batches=batches, revenue=revenue, seconds=seconds)


def show_replay(replayed: Replayed, batch_size: int) -> None:
    """Print what the bulk replay did."""
    r = replayed.result
    heading("Replay")
    print(
        f"{replayed.orders:,} orders sent to record_many in {replayed.batches:,} batches "
        f"of up to {batch_size:,}"
    )
    print(
        f"-> {r.recorded:,} recorded, {r.unchanged:,} unchanged, "
        f"{r.customers_created:,} customers created"
    )

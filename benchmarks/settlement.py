"""What settling and checking every points ledger costs: ``process_due()`` and ``verify()``.

Run it with ``make bench`` or::

    python benchmarks/settlement.py                  # all 69,659 CDNOW purchases
    python benchmarks/settlement.py --quick          # the 1/10 sample
    python benchmarks/settlement.py --limit 2000     # the first 2,000 orders of the file
    python benchmarks/settlement.py --postgres URL   # PostgreSQL as well
    python benchmarks/settlement.py --help           # more options

The CDNOW purchases (``examples/cdnow_data.py``; 1997-01 to 1998-06) are
ingested with ``kit.purchases.record_many`` into a fresh store with a points
program: 1 point per USD, points pending for 14 days, expiring 365 days
after they are earned. The ingest is not what is measured (see
``ingest.py``). Then, on 1999-01-01, each in a fresh interpreter on that
store:

process_due
    ``kit.loyalty.process_due()``: activates every pending lot and expires
    the lots earned in 1997, account by account.
verify
    ``kit.loyalty.verify()``: checks every account's ledger invariants,
    after the settlement.

For each: the wall-clock time, the time per account, how far the resident
set grew above where it stood once the kit was open, and the child's peak
resident set (interpreter and imports included). There is no target in
issue 8 for these; the design asks that both work page by page, so the
memory should stay flat as the number of accounts grows (compare
``--quick`` with the full file). ``--check`` exits 1 if ``verify()``
reports a problem.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

from _harness import (
    Backend,
    Check,
    add_common_options,
    drop_prefixed,
    fmt_us,
    header_line,
    max_rss_bytes,
    peak_rss_bytes,
    postgres_url,
    print_table,
    reset_peak_rss,
    rss_bytes,
    run_child,
    selected_backends,
)
from cdnow_data import MASTER, SAMPLE, iter_orders

import relationkit as rk

BATCH_SIZE = 5000
INGEST_AT = pendulum.datetime(1998, 7, 1, tz="UTC")
SETTLE_AT = pendulum.datetime(1999, 1, 1, tz="UTC")
PROGRAM = rk.LoyaltyProgram(
    currency="USD", points_per_unit=1, pending_days=14, expiry=rk.Expiry.after_days(365)
)
OPERATIONS = ("process_due", "verify")


@dataclass(frozen=True)
class Store:
    """Where the ingested kit lives: a SQLite URL, or a PostgreSQL URL and prefix."""

    url: str
    prefix: str = "rk_"

    def as_args(self) -> list[str]:
        """The child's command-line form."""
        return [self.url, self.prefix]


@contextmanager
def open_store(store: Store, at: pendulum.DateTime) -> Iterator[rk.RelationKit]:
    """Open the kit on ``store`` with the program, its clock frozen at ``at``."""
    clock = rk.FrozenClock(at)
    if store.url.startswith("sqlite"):
        with rk.open(store.url, clock=clock, loyalty=PROGRAM) as kit:
            yield kit
        return
    engine = sa.create_engine(store.url)
    try:
        with rk.open(engine=engine, table_prefix=store.prefix, clock=clock, loyalty=PROGRAM) as kit:
            yield kit
    finally:
        engine.dispose()


def ingest(store: Store, data: Path, limit: int | None) -> tuple[int, float]:
    """Record the CDNOW orders into ``store``; return how many and the seconds it took."""
    with open_store(store, INGEST_AT) as kit:
        start = time.perf_counter()
        result = kit.purchases.record_many(iter_orders(data, limit=limit), batch_size=BATCH_SIZE)
        return result.recorded, time.perf_counter() - start


# -- the child --------------------------------------------------------------------------


def child(operation: str, store: Store, *, cpu: bool) -> dict[str, Any]:
    """Run ``operation`` on ``store`` and measure it (in a fresh interpreter).

    With ``cpu``, ``seconds`` is the child's CPU time rather than the wall clock.

    Returns:
        ``seconds``, ``accounts``, ``rss_before`` (bytes, once the kit is
        open), ``rss_work_peak`` (the peak during the operation, where the
        peak can be reset: Linux) and ``rss_peak`` (the child's lifetime peak),
        and what the operation reported (``activated``, ``expired``;
        ``problems``).
    """
    timer = time.process_time if cpu else time.perf_counter
    with open_store(store, SETTLE_AT) as kit:
        gc.collect()
        before = rss_bytes()
        reset_peak_rss()
        start = timer()
        out: dict[str, Any]
        if operation == "process_due":
            due = kit.loyalty.process_due()
            seconds = timer() - start
            out = {"accounts": due.accounts, "activated": due.activated, "expired": due.expired}
        else:
            report = kit.loyalty.verify()
            seconds = timer() - start
            out = {"accounts": report.accounts, "problems": len(report.problems)}
        out.update(
            seconds=seconds,
            rss_before=before,
            rss_work_peak=peak_rss_bytes(),
            rss_peak=max_rss_bytes(),
        )
    return out


def measure(operation: str, store: Store, *, cpu: bool) -> dict[str, Any]:
    """Run :func:`child` in a fresh interpreter and return what it measured."""
    command = [sys.executable, __file__, "--child", operation, *store.as_args()]
    return run_child(command + ["--cpu"] * cpu)


# -- report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One operation on one backend."""

    backend: str
    operation: str
    measured: dict[str, Any]


def report(outcomes: Sequence[Outcome]) -> None:
    """Print one line per backend and operation."""
    rows = []
    for o in outcomes:
        m = o.measured
        accounts = int(m["accounts"])
        growth = (m["rss_work_peak"] - m["rss_before"]) / 1e6
        if o.operation == "process_due":
            did = f"{m['activated']:,} activated, {m['expired']:,} expired"
        else:
            did = f"{m['problems']:,} problems"
        rows.append(
            (
                o.backend,
                o.operation,
                f"{accounts:,}",
                f"{m['seconds']:.2f} s",
                fmt_us(m["seconds"] / accounts) if accounts else "-",
                f"{growth:.1f} MB",
                f"{growth * 1e3 / accounts:.2f} kB" if accounts else "-",
                f"{m['rss_peak'] / 1e6:.1f} MB",
                did,
            )
        )
    header = (
        "backend",
        "operation",
        "accounts",
        "time",
        "per account",
        "RSS growth",
        "per account",
        "peak RSS",
        "outcome (points)",
    )
    print_table(header, rows)


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    """Parse the command line; return it and the backends to run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="the 1/10 sample file")
    parser.add_argument("--limit", type=int, help="only the first LIMIT orders of the file")
    add_common_options(parser, backends=("sqlite", "postgres"))
    # Internal: the measuring child.
    parser.add_argument(
        "--child", nargs=3, metavar=("OPERATION", "URL", "PREFIX"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.child:
        return args, []
    return args, selected_backends(args, parser, ("sqlite", "postgres"))


def main(argv: Sequence[str] | None = None) -> int:
    """Ingest, then measure each operation in a child; print the table."""
    args, backends = parse_args(argv)
    if args.child:
        operation, url, prefix = args.child
        print(json.dumps(child(operation, Store(url, prefix), cpu=args.cpu)))
        return 0
    data = SAMPLE if args.quick else MASTER
    header_line(
        f"settlement benchmark: process_due() and verify() on {SETTLE_AT.date()} over the "
        f"CDNOW accounts ({data.name}"
        + (f", first {args.limit:,} orders" if args.limit else "")
        + "), each in a fresh interpreter",
        timer_cpu=args.cpu,
    )
    print("program: 1 point/USD, pending 14 days, expiry after 365 days", flush=True)
    check = Check()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="rk-settle-") as tmp:
        for name in backends:
            backend = Backend(name, Path(tmp), postgres_url(args))
            if name == "sqlite":
                store = Store(f"sqlite:///{(Path(tmp) / 'cdnow.db').as_posix()}")
            else:
                store = Store(str(backend.postgres), f"s{uuid.uuid4().hex[:8]}_")
            try:
                orders, seconds = ingest(store, data, args.limit)
                print(f"{backend.label}: ingested {orders:,} orders in {seconds:.1f} s", flush=True)
                for operation in OPERATIONS:
                    measured = measure(operation, store, cpu=args.cpu)
                    outcomes.append(Outcome(backend.label, operation, measured))
                    print(f"{backend.label}: {operation} {measured['seconds']:.2f} s", flush=True)
                    if operation == "verify":
                        check.verdict(
                            f"{backend.label}: verify() found problems", measured["problems"], 0
                        )
            finally:
                if name == "postgres":
                    engine = sa.create_engine(store.url)
                    drop_prefixed(engine, store.prefix)
                    engine.dispose()
    print()
    report(outcomes)
    print(
        "\nRSS growth: the peak during the operation above the resident set once the kit "
        "was open; peak RSS: the child's, interpreter, imports and opening included"
    )
    return check.exit_code(args.check)


if __name__ == "__main__":
    raise SystemExit(main())

"""How much relationkit costs over hand-written SQL when it ingests orders into SQLite.

Run it with ``make bench`` or::

    python benchmarks/ingest.py            # all 69,659 CDNOW purchases
    python benchmarks/ingest.py --quick    # the 1/10 sample, fewer single records
    python benchmarks/ingest.py --loyalty  # with a points program configured
    python benchmarks/ingest.py --check    # exit 1 if a target is missed
    python benchmarks/ingest.py --help     # more options

Three measurements, each against a baseline timed in the same run:

bulk
    ``kit.purchases.record_many`` of the CDNOW purchases (customers named by
    ``customer_external_id``, created on their first order) into a fresh
    SQLite file, against SQLAlchemy Core ``executemany`` of the same rows
    into equivalent tables (accounts, customers, purchases, purchase lines,
    with the same keys and indexes) in another file. Both run one
    transaction per batch of the same size and skip orders already stored;
    the baseline does not keep a stage history, events or a points ledger.
single
    ``kit.purchases.record`` of one order per transaction, against a raw
    ``BEGIN IMMEDIATE``, insert purchase and line, ``COMMIT``.
memory
    Peak memory of the bulk ingest, streamed from the file as the demo does,
    in a child process: how far the resident set grew above where it stood
    once the kit was open. With ``--tracemalloc``, a second child reports
    tracemalloc's peak too (tracing makes the ingest several times slower).

Both sides use relationkit's SQLite set-up: WAL, ``synchronous=NORMAL``,
foreign keys on, a busy timeout, and ``BEGIN IMMEDIATE`` for writes. Rows are
parsed before the timed part, and both sides get the same row objects. Times
are wall-clock; on a busy machine use ``--repeat 3`` (the best round counts)
or ``--cpu`` (the process's CPU time: SQLite runs in the process, and with
``synchronous=NORMAL`` a commit does not wait for the disk).

The exit code is 0 whatever the results (this is a report) unless
``--check`` is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    select,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

from _harness import SequentialIds, max_rss_bytes, peak_rss_bytes, reset_peak_rss, rss_bytes
from cdnow_data import MASTER, SAMPLE, OrderRow, iter_orders

import relationkit as rk

BATCH_SIZE = 1000
SINGLE_N = 2000
SINGLE_N_QUICK = 300
BULK_TARGET = 2.0
SINGLE_TARGET = 1.5
MEMORY_TARGET_MB = 300.0
CLOCK_START = pendulum.datetime(1998, 7, 1, tz="UTC")
BUSY_TIMEOUT_MS = 5000
_UTC = dt.UTC

Timer = Callable[[], float]
"""``time.perf_counter`` (wall clock) or ``time.process_time`` (this process's CPU)."""


# -- relationkit side ---------------------------------------------------------


def open_kit(path: Path, *, loyalty: bool) -> rk.RelationKit:
    """Open relationkit on a fresh SQLite file, with a points program if asked."""
    kit = rk.open(f"sqlite:///{path.as_posix()}", clock=rk.FrozenClock(CLOCK_START))
    if loyalty:
        try:
            configure_loyalty(kit)
        except BaseException:
            kit.close()
            raise
    return kit


def configure_loyalty(kit: rk.RelationKit) -> None:
    """Give ``kit`` a program of 1 point per dollar.

    Raises:
        SystemExit: with a readable message if this relationkit has no
            loyalty programs (``rk.LoyaltyProgram``, ``kit.loyalty.configure``).
    """
    program_type = getattr(rk, "LoyaltyProgram", None)
    configure = getattr(getattr(kit, "loyalty", None), "configure", None)
    if program_type is None or configure is None:
        raise SystemExit(
            "--loyalty needs rk.LoyaltyProgram and kit.loyalty.configure(), "
            "which this relationkit does not have; run without --loyalty"
        )
    try:
        program = program_type(points_per_unit=1, currency="USD")
        configure(program)
    except (TypeError, rk.errors.ValidationError) as exc:
        raise SystemExit(
            f"--loyalty: this relationkit's loyalty API differs from the one expected "
            f"(LoyaltyProgram(points_per_unit=1, currency='USD'); "
            f"kit.loyalty.configure(program)): {exc}"
        ) from exc


def rk_bulk(path: Path, rows: Sequence[OrderRow], *, loyalty: bool, timer: Timer) -> float:
    """Return the seconds ``record_many`` takes to store ``rows`` in a fresh file."""
    with open_kit(path, loyalty=loyalty) as kit:
        start = timer()
        result = kit.purchases.record_many(rows, batch_size=BATCH_SIZE)
        seconds = timer() - start
    if result.recorded != len(rows):
        raise SystemExit(f"relationkit recorded {result.recorded} of {len(rows)} orders")
    return seconds


def rk_single(path: Path, rows: Sequence[OrderRow], *, loyalty: bool, timer: Timer) -> float:
    """Return the seconds ``record`` takes to store ``rows`` one transaction each.

    The customers are created first, untimed.
    """
    with open_kit(path, loyalty=loyalty) as kit:
        ids: dict[str, str] = {}
        with kit.transaction():
            for row in rows:
                external = row["customer_external_id"]
                if external not in ids:
                    ids[external] = kit.customers.create(external_id=external).id
        record = kit.purchases.record
        start = timer()
        for row in rows:
            record(
                order_id=row["order_id"],
                customer_id=ids[row["customer_external_id"]],
                occurred_at=row["occurred_at"],
                total=row["total"],
                lines=row.get("lines", ()),
            )
        seconds = timer() - start
        if kit.purchases.count() != len(rows):
            raise SystemExit("relationkit did not record every single order")
    return seconds


# -- baseline side ------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """Hand-written tables equivalent to relationkit's for the same data."""

    engine: Engine
    accounts: Table
    customers: Table
    purchases: Table
    lines: Table


def _sqlite_setup(engine: Engine) -> None:
    """Apply relationkit's SQLite settings: the same pragmas, ``BEGIN IMMEDIATE``."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()
        dbapi_connection.isolation_level = None

    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)


def open_baseline(path: Path) -> Baseline:
    """Create the baseline's tables in a fresh SQLite file."""
    engine = create_engine(f"sqlite:///{path.as_posix()}")
    _sqlite_setup(engine)
    md = MetaData()
    accounts = Table(
        "accounts",
        md,
        Column("id", String(64), nullable=False),
        Column("name", Text, nullable=False),
        Column("kind", String(8), nullable=False),
        Column("stage", String(64), nullable=False),
        Column("stage_since", String(26), nullable=False),
        Column("created_at", String(26), nullable=False),
        Column("version", BigInteger, nullable=False),
        PrimaryKeyConstraint("id"),
        Index("ix_accounts_stage", "stage"),
    )
    customers = Table(
        "customers",
        md,
        Column("id", String(64), nullable=False),
        Column("account_id", String(64), nullable=False),
        Column("external_id", String(128)),
        Column("attributes", Text, nullable=False),
        Column("created_at", String(26), nullable=False),
        Column("updated_at", String(26), nullable=False),
        PrimaryKeyConstraint("id"),
        UniqueConstraint("external_id"),
        ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        Index("ix_customers_account_id", "account_id", "id"),
    )
    purchases = Table(
        "purchases",
        md,
        Column("id", String(64), nullable=False),
        Column("order_id", String(128), nullable=False),
        Column("account_id", String(64), nullable=False),
        Column("customer_id", String(64), nullable=False),
        Column("occurred_at", String(26), nullable=False),
        Column("total_minor", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("points_used", BigInteger, nullable=False),
        Column("recorded_at", String(26), nullable=False),
        PrimaryKeyConstraint("id"),
        UniqueConstraint("order_id"),
        Index("ix_purchases_account_id", "account_id", "occurred_at", "id"),
    )
    lines = Table(
        "purchase_lines",
        md,
        Column("purchase_id", String(64), nullable=False),
        Column("position", Integer, nullable=False),
        Column("sku", String(255), nullable=False),
        Column("quantity", BigInteger, nullable=False),
        Column("unit_price_minor", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        PrimaryKeyConstraint("purchase_id", "position"),
        ForeignKeyConstraint(["purchase_id"], ["purchases.id"]),
    )
    md.create_all(engine)
    return Baseline(engine, accounts, customers, purchases, lines)


def _utc_text(value: dt.datetime) -> str:
    """Format an instant as relationkit's SQLite column does (UTC, fixed width)."""
    return dt.datetime.isoformat(dt.datetime.astimezone(value, _UTC), " ", "microseconds")[:26]


def _purchase_rows(
    row: OrderRow, purchase_id: str, account_id: str, customer_id: str, now: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    total = row["total"]
    purchase = {
        "id": purchase_id,
        "order_id": row["order_id"],
        "account_id": account_id,
        "customer_id": customer_id,
        "occurred_at": _utc_text(row["occurred_at"]),
        "total_minor": total.minor,
        "currency": total.currency,
        "points_used": 0,
        "recorded_at": now,
    }
    lines = [
        {
            "purchase_id": purchase_id,
            "position": i,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price_minor": line.unit_price.minor,
            "currency": line.unit_price.currency,
        }
        for i, line in enumerate(row.get("lines", ()))
    ]
    return purchase, lines


def baseline_bulk(path: Path, rows: Sequence[OrderRow], *, timer: Timer) -> float:
    """Return the seconds raw ``executemany`` takes to store ``rows``, batch by batch.

    Each batch is one transaction that looks up the batch's customers by
    external id, inserts the missing accounts and customers, skips orders
    already stored, and inserts the purchases and their lines.
    """
    b = open_baseline(path)
    ids = SequentialIds()
    now = _utc_text(CLOCK_START)
    c, p = b.customers.c, b.purchases.c
    start = timer()
    for first in range(0, len(rows), BATCH_SIZE):
        batch = rows[first : first + BATCH_SIZE]
        with b.engine.begin() as conn:
            externals = sorted({r["customer_external_id"] for r in batch})
            known: dict[str, tuple[str, str]] = {
                ext: (cid, aid)
                for ext, cid, aid in conn.execute(
                    select(c.external_id, c.id, c.account_id).where(c.external_id.in_(externals))
                )
                if ext is not None
            }
            new_accounts: list[dict[str, Any]] = []
            new_customers: list[dict[str, Any]] = []
            for ext in externals:
                if ext in known:
                    continue
                aid, cid = ids.new("acc"), ids.new("cus")
                known[ext] = (cid, aid)
                new_accounts.append(
                    {
                        "id": aid,
                        "name": ext,
                        "kind": "b2c",
                        "stage": "customer",
                        "stage_since": now,
                        "created_at": now,
                        "version": 1,
                    }
                )
                new_customers.append(
                    {
                        "id": cid,
                        "account_id": aid,
                        "external_id": ext,
                        "attributes": "{}",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            if new_accounts:
                conn.execute(insert(b.accounts), new_accounts)
                conn.execute(insert(b.customers), new_customers)
            order_ids = [r["order_id"] for r in batch]
            stored = set(conn.scalars(select(p.order_id).where(p.order_id.in_(order_ids))))
            purchases: list[dict[str, Any]] = []
            lines: list[dict[str, Any]] = []
            for r in batch:
                if r["order_id"] in stored:
                    continue
                stored.add(r["order_id"])
                cid, aid = known[r["customer_external_id"]]
                purchase, its_lines = _purchase_rows(r, ids.new("pur"), aid, cid, now)
                purchases.append(purchase)
                lines.extend(its_lines)
            if purchases:
                conn.execute(insert(b.purchases), purchases)
            if lines:
                conn.execute(insert(b.lines), lines)
    seconds = timer() - start
    b.engine.dispose()
    return seconds


def baseline_single(path: Path, rows: Sequence[OrderRow], *, timer: Timer) -> float:
    """Return the seconds raw single-order transactions take to store ``rows``.

    The accounts and customers are inserted first, untimed; each order is
    then ``BEGIN IMMEDIATE``, insert the purchase, insert its line, ``COMMIT``.
    """
    b = open_baseline(path)
    ids = SequentialIds()
    now = _utc_text(CLOCK_START)
    known: dict[str, tuple[str, str]] = {}
    with b.engine.begin() as conn:
        for row in rows:
            ext = row["customer_external_id"]
            if ext in known:
                continue
            aid, cid = ids.new("acc"), ids.new("cus")
            known[ext] = (cid, aid)
            conn.execute(
                insert(b.accounts),
                {
                    "id": aid,
                    "name": ext,
                    "kind": "b2c",
                    "stage": "lead",
                    "stage_since": now,
                    "created_at": now,
                    "version": 1,
                },
            )
            conn.execute(
                insert(b.customers),
                {
                    "id": cid,
                    "account_id": aid,
                    "external_id": ext,
                    "attributes": "{}",
                    "created_at": now,
                    "updated_at": now,
                },
            )
    purchase_insert, line_insert = insert(b.purchases), insert(b.lines)
    start = timer()
    for row in rows:
        cid, aid = known[row["customer_external_id"]]
        purchase, lines = _purchase_rows(row, ids.new("pur"), aid, cid, now)
        with b.engine.begin() as conn:
            conn.execute(purchase_insert, purchase)
            if lines:
                conn.execute(line_insert, lines)
    seconds = timer() - start
    b.engine.dispose()
    return seconds


# -- memory, in a child process -----------------------------------------------


def child_bulk(data: Path, db: Path, *, loyalty: bool, trace: bool) -> dict[str, float]:
    """Stream ``data`` into a fresh kit and measure the memory it took.

    Returns:
        ``seconds``, ``rss_before`` (the resident set before the ingest),
        ``rss_work_peak`` (the peak during the ingest, where the peak can be
        reset: Linux; else the lifetime peak) and ``rss_peak`` (the child's
        lifetime peak), in bytes, and with
        ``trace`` the tracemalloc ``traced_peak`` (bytes).
    """
    with open_kit(db, loyalty=loyalty) as kit:
        gc.collect()
        rss_before = rss_bytes()
        reset_peak_rss()  # a peak reached while opening the kit is not the ingest's
        if trace:
            tracemalloc.start()
        start = time.perf_counter()
        kit.purchases.record_many(iter_orders(data), batch_size=BATCH_SIZE)
        seconds = time.perf_counter() - start
        out = {"seconds": seconds, "rss_before": float(rss_before)}
        if trace:
            out["traced_peak"] = float(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        out["rss_work_peak"] = float(peak_rss_bytes())
        out["rss_peak"] = float(max_rss_bytes())
    return out


def measure_memory(data: Path, workdir: Path, *, loyalty: bool, trace: bool) -> dict[str, float]:
    """Run :func:`child_bulk` in a fresh interpreter and return what it measured."""
    db = workdir / ("traced.db" if trace else "rss.db")
    command = [sys.executable, __file__, "--child", str(data), str(db)]
    command += ["--loyalty"] * loyalty + ["--trace"] * trace
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the memory child failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- report -------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One row of the result table."""

    name: str
    baseline: str
    relationkit: str
    ratio: str
    target: str
    passed: bool


def timed_line(name: str, baseline: float, ours: float, target: float) -> Line:
    """Compare two timings against a ratio target."""
    ratio = ours / baseline
    return Line(
        name,
        f"{baseline:.2f} s",
        f"{ours:.2f} s",
        f"{ratio:.2f}x",
        f"<= {target:.1f}x",
        ratio <= target,
    )


def memory_line(name: str, used: float) -> Line:
    """Check a memory figure (bytes) against the target."""
    mb = used / 1e6
    return Line(
        name, "-", f"{mb:.1f} MB", "-", f"< {MEMORY_TARGET_MB:.0f} MB", mb < MEMORY_TARGET_MB
    )


def print_table(lines: Sequence[Line]) -> None:
    """Print the results as a fixed-width table."""
    header = ("measure", "baseline", "relationkit", "ratio", "target", "result")
    cells = [header] + [
        (x.name, x.baseline, x.relationkit, x.ratio, x.target, "PASS" if x.passed else "MISS")
        for x in lines
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def best_of(
    repeat: int, baseline: Callable[[int], float], ours: Callable[[int], float]
) -> tuple[float, float]:
    """Return the fastest baseline and relationkit times of ``repeat`` rounds.

    The two sides alternate, so a machine that gets busier or quieter during
    the run weighs on both. Each callable gets the round's number.
    """
    rounds = [(baseline(i), ours(i)) for i in range(repeat)]
    return min(b for b, _ in rounds), min(o for _, o in rounds)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="the sample file, fewer single records"
    )
    parser.add_argument("--loyalty", action="store_true", help="configure a 1 point/USD program")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--repeat", type=int, default=1, help="runs per timing; the best counts")
    parser.add_argument("--single", type=int, help="orders in the single-record test")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time this process's CPU instead of the wall clock (steadier on a busy machine)",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also measure tracemalloc's peak (a second child; tracing makes it ~5x slower)",
    )
    # Internal: the memory child.
    parser.add_argument("--child", nargs=2, metavar=("DATA", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.single is not None and args.single < 1:
        parser.error("--single must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and print the table."""
    args = parse_args(argv)
    if args.child:
        data, db = (Path(p) for p in args.child)
        print(json.dumps(child_bulk(data, db, loyalty=args.loyalty, trace=args.trace)))
        return 0
    data = SAMPLE if args.quick else MASTER
    n_single = args.single or (SINGLE_N_QUICK if args.quick else SINGLE_N)
    if args.loyalty:
        with tempfile.TemporaryDirectory() as probe:
            open_kit(Path(probe) / "probe.db", loyalty=True).close()  # fail early, clearly
    rows = list(iter_orders(data))
    customers = len({r["customer_external_id"] for r in rows})
    singles = rows[:n_single]
    print(
        f"relationkit {rk.__version__} ingest benchmark: {len(rows):,} orders of "
        f"{customers:,} customers ({data.name}), batches of {BATCH_SIZE:,}"
        + (", loyalty program on" if args.loyalty else "")
    )
    print(
        "SQLite: WAL, synchronous=NORMAL, foreign_keys=ON, BEGIN IMMEDIATE "
        f"(SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}); "
        + ("CPU time of this process" if args.cpu else "wall-clock time"),
        flush=True,
    )
    timer: Timer = time.process_time if args.cpu else time.perf_counter
    lines: list[Line] = []
    with tempfile.TemporaryDirectory(prefix="rk-bench-") as tmp:
        work = Path(tmp)
        base, ours = best_of(
            args.repeat,
            lambda i: baseline_bulk(work / f"base-bulk-{i}.db", rows, timer=timer),
            lambda i: rk_bulk(work / f"rk-bulk-{i}.db", rows, loyalty=args.loyalty, timer=timer),
        )
        lines.append(timed_line(f"bulk record_many, {len(rows):,} orders", base, ours, BULK_TARGET))
        base, ours = best_of(
            args.repeat,
            lambda i: baseline_single(work / f"base-one-{i}.db", singles, timer=timer),
            lambda i: rk_single(
                work / f"rk-one-{i}.db", singles, loyalty=args.loyalty, timer=timer
            ),
        )
        lines.append(
            timed_line(f"single record, {len(singles):,} orders", base, ours, SINGLE_TARGET)
        )
        if not args.no_memory:
            rss = measure_memory(data, work, loyalty=args.loyalty, trace=False)
            lines.append(
                memory_line(
                    "bulk peak memory (max RSS growth)", rss["rss_work_peak"] - rss["rss_before"]
                )
            )
            if args.tracemalloc:
                traced = measure_memory(data, work, loyalty=args.loyalty, trace=True)
                lines.append(memory_line("bulk peak memory (tracemalloc)", traced["traced_peak"]))
    print()
    print_table(lines)
    if not args.no_memory:
        print(
            f"\nmemory child: max RSS {rss['rss_peak'] / 1e6:.1f} MB in all "
            f"(interpreter and imports included), streamed ingest {rss['seconds']:.2f} s"
        )
    if args.loyalty:
        print("(the baseline keeps no points ledger: the ratios include the cost of earning)")
    missed = [x.name for x in lines if not x.passed]
    if missed and args.check:
        print(f"missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

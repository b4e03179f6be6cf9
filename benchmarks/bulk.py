"""What ``record_many`` costs over hand-written bulk loads of the same orders.

Run it with ``make bench`` or::

    python benchmarks/bulk.py                  # all 69,659 CDNOW purchases
    python benchmarks/bulk.py --quick          # the 1/10 sample (6,919 purchases)
    python benchmarks/bulk.py --limit 2000     # the first 2,000 orders of the file
    python benchmarks/bulk.py --postgres URL   # PostgreSQL as well
    python benchmarks/bulk.py --profile        # cProfile the relationkit side on SQLite
    python benchmarks/bulk.py --help           # more options

The CDNOW purchases (``examples/cdnow_data.py``) are parsed once, before any
timing; every side gets the same row objects and a fresh store (a new SQLite
file; on PostgreSQL new tables under a unique prefix, dropped afterwards),
and loads them in batches of ``--batch-size`` orders, one transaction per
batch. On each backend:

relationkit
    ``kit.purchases.record_many(rows, batch_size=B)``: customers named by
    ``customer_external_id``, created on their first order; no points
    program unless ``--loyalty`` (1 point per USD).
A: Core executemany
    SQLAlchemy Core ``executemany`` into tables equivalent to relationkit's
    (accounts, customers, purchases, purchase lines, with the same keys and
    indexes). Each batch looks its customers up by external id, inserts the
    missing accounts and customers, skips the orders already stored and
    inserts the purchases and their lines. No stage history, events or
    points ledger. Target: relationkit at most 1.5x.
B: DB-API executemany
    The minimal job, on the driver itself (``sqlite3``, ``psycopg``): two
    tables (customers with a unique external id, purchases with a unique
    order id and the customer's id); per batch ``INSERT ... ON CONFLICT DO
    NOTHING`` of the customers, one ``SELECT`` of their ids, and ``INSERT
    ... ON CONFLICT DO NOTHING`` of the purchases. Target: at most 2.5x.
C: COPY (PostgreSQL only)
    ``psycopg``'s ``cursor.copy("COPY ... FROM STDIN")`` and ``write_row``
    of the same rows into the two minimal tables; the job numbers the
    customers itself and checks nothing (``COPY`` cannot skip a row), so
    it only fits a load into empty tables. The physical limit a backfill
    can approach: the ratio is reported, without a target.

On SQLite every side uses relationkit's set-up: WAL, ``synchronous=NORMAL``,
foreign keys on, a busy timeout, ``BEGIN IMMEDIATE``. Times are the best of
``--repeat`` rounds (the sides alternate within a round); the ratio uses the
wall clock, or with ``--cpu`` this process's CPU time. Both are printed: on
PostgreSQL the CPU time leaves out the server's work, so there the wall
clock says more about ``COPY``. The exit code is 0 whatever the results
(this is a report) unless ``--check`` is given.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

from _harness import (
    BUSY_TIMEOUT_MS,
    Backend,
    Check,
    SequentialIds,
    add_common_options,
    drop_prefixed,
    header_line,
    open_kit,
    postgres_url,
    print_table,
    psycopg_connect,
    selected_backends,
    sqlite_connect,
)
from cdnow_data import MASTER, SAMPLE, OrderRow, iter_orders

import relationkit as rk

BATCH_SIZE = 1_000
EQUIVALENT_TARGET = 1.5
MINIMAL_TARGET = 2.5
CLOCK_START = pendulum.datetime(1998, 7, 1, tz="UTC")
PROGRAM = rk.LoyaltyProgram(points_per_unit=1, currency="USD")
_UTC = dt.UTC

RK = "relationkit record_many"
CORE = "A: Core executemany, 4 tables"
MINIMAL = "B: {driver} executemany, 2 tables"
COPY = "C: psycopg COPY, 2 tables"


@dataclass(frozen=True)
class Timing:
    """One load: its wall-clock and CPU seconds."""

    wall: float
    cpu: float

    def seconds(self, cpu: bool) -> float:
        """The figure the ratios use."""
        return self.cpu if cpu else self.wall


@dataclass
class Stopwatch:
    """Both clocks, started at once; :meth:`stop` freezes the :class:`Timing`."""

    wall: float = 0.0
    cpu: float = 0.0

    def start(self) -> None:
        """Read both clocks."""
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> Timing:
        """Return the time since :meth:`start`."""
        return Timing(time.perf_counter() - self.wall, time.process_time() - self.cpu)


def batches(rows: Sequence[OrderRow], size: int) -> Iterator[Sequence[OrderRow]]:
    """Yield ``rows`` in slices of ``size``."""
    for first in range(0, len(rows), size):
        yield rows[first : first + size]


def _fresh_tag() -> str:
    return uuid.uuid4().hex[:8]


def sqlite_instant(value: dt.datetime) -> str:
    """An instant as relationkit's SQLite column holds it: UTC text, fixed width."""
    return dt.datetime.isoformat(dt.datetime.astimezone(value, _UTC), " ", "microseconds")[:26]


def postgres_instant(value: dt.datetime) -> dt.datetime:
    """An instant as a plain UTC ``datetime`` (psycopg adapts a pendulum one slowly)."""
    return dt.datetime.fromtimestamp(dt.datetime.timestamp(value), _UTC)


def instant_of(backend: Backend) -> Callable[[dt.datetime], Any]:
    """How the baselines turn a row's instant into a parameter on ``backend``."""
    return sqlite_instant if backend.name == "sqlite" else postgres_instant


# -- relationkit ------------------------------------------------------------------------


def rk_load(
    backend: Backend,
    rows: Sequence[OrderRow],
    *,
    batch_size: int,
    loyalty: bool,
    profiler: cProfile.Profile | None = None,
) -> Timing:
    """Time ``record_many`` of ``rows`` into a fresh store of ``backend``."""
    clock = rk.FrozenClock(CLOCK_START)
    with open_kit(backend, clock=clock, loyalty=PROGRAM if loyalty else None) as kit:
        watch = Stopwatch()
        if profiler is not None:
            profiler.enable()
        watch.start()
        result = kit.purchases.record_many(rows, batch_size=batch_size)
        timing = watch.stop()
        if profiler is not None:
            profiler.disable()
    if result.recorded != len(rows):
        raise SystemExit(f"relationkit recorded {result.recorded} of {len(rows)} orders")
    return timing


# -- A: SQLAlchemy Core into equivalent tables -------------------------------------------


def _core_tables(md: sa.MetaData, p: str, instant: sa.types.TypeEngine[Any]) -> list[sa.Table]:
    """The accounts, customers, purchases and lines tables, keyed and indexed as relationkit's."""
    ids, key = sa.String(64), sa.String(128)
    accounts = sa.Table(
        f"{p}accounts",
        md,
        sa.Column("id", ids, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("stage_since", instant, nullable=False),
        sa.Column("created_at", instant, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("external_id", key),
        sa.Index(f"ix_{p}accounts_stage", "stage"),
        sa.Index(f"ux_{p}accounts_external_id", "external_id", unique=True),
    )
    customers = sa.Table(
        f"{p}customers",
        md,
        sa.Column("id", ids, primary_key=True),
        sa.Column("account_id", ids, sa.ForeignKey(f"{p}accounts.id"), nullable=False),
        sa.Column("email_key", sa.String(320), unique=True),
        sa.Column("external_id", key, unique=True),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("created_at", instant, nullable=False),
        sa.Column("updated_at", instant, nullable=False),
        sa.Index(f"ix_{p}customers_account_id", "account_id", "id"),
    )
    purchases = sa.Table(
        f"{p}purchases",
        md,
        sa.Column("order_id", key, primary_key=True),
        sa.Column("id", ids, nullable=False, index=True),
        sa.Column("account_id", ids, sa.ForeignKey(f"{p}accounts.id"), nullable=False),
        sa.Column("customer_id", ids, nullable=False),
        sa.Column("occurred_at", instant, nullable=False),
        sa.Column("total_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("points_used", sa.BigInteger, nullable=False),
        sa.Column("recorded_at", instant, nullable=False),
        sa.Index(f"ix_{p}purchases_account_id", "account_id", "occurred_at", "id"),
        sa.Index(f"ix_{p}purchases_customer_id", "customer_id", "occurred_at", "id"),
    )
    lines = sa.Table(
        f"{p}purchase_lines",
        md,
        sa.Column("order_id", key, sa.ForeignKey(f"{p}purchases.order_id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
    )
    return [accounts, customers, purchases, lines]


def _sqlite_engine(path: Path) -> sa.Engine:
    """An engine on ``path`` with relationkit's pragmas and ``BEGIN IMMEDIATE``."""
    engine = sa.create_engine(f"sqlite:///{path.as_posix()}")

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        for pragma in (
            f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
            "PRAGMA foreign_keys = ON",
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
        ):
            dbapi_connection.execute(pragma)
        dbapi_connection.isolation_level = None

    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    sa.event.listen(engine, "connect", on_connect)
    sa.event.listen(engine, "begin", on_begin)
    return engine


def _core_batch(
    conn: sa.Connection,
    tables: Sequence[sa.Table],
    batch: Sequence[OrderRow],
    ids: SequentialIds,
    stamp: Callable[[dt.datetime], Any],
    now: Any,
) -> None:
    """Store one batch: the missing accounts and customers, then the new orders and lines."""
    accounts, customers, purchases, lines = tables
    c, p = customers.c, purchases.c
    externals = sorted({r["customer_external_id"] for r in batch})
    known: dict[str, tuple[str, str]] = {
        ext: (cid, aid)
        for ext, cid, aid in conn.execute(
            sa.select(c.external_id, c.id, c.account_id).where(c.external_id.in_(externals))
        )
    }
    new_accounts: list[dict[str, Any]] = []
    new_customers: list[dict[str, Any]] = []
    for ext in externals:
        if ext in known:
            continue
        aid, cid = ids.new("acc"), ids.new("cus")
        known[ext] = (cid, aid)
        new_accounts.append(
            {"id": aid, "name": ext, "kind": "b2c", "stage": "customer", "stage_since": now}
            | {"created_at": now, "version": 1, "external_id": None}
        )
        new_customers.append(
            {"id": cid, "account_id": aid, "email_key": None, "external_id": ext}
            | {"attributes": "{}", "created_at": now, "updated_at": now}
        )
    if new_accounts:
        conn.execute(sa.insert(accounts), new_accounts)
        conn.execute(sa.insert(customers), new_customers)
    stored = set(
        conn.scalars(sa.select(p.order_id).where(p.order_id.in_(r["order_id"] for r in batch)))
    )
    new_purchases: list[dict[str, Any]] = []
    new_lines: list[dict[str, Any]] = []
    for r in batch:
        order = r["order_id"]
        if order in stored:
            continue
        stored.add(order)
        cid, aid = known[r["customer_external_id"]]
        total = r["total"]
        new_purchases.append(
            {"order_id": order, "id": ids.new("pur"), "account_id": aid, "customer_id": cid}
            | {"occurred_at": stamp(r["occurred_at"]), "total_minor": total.minor}
            | {"currency": total.currency, "points_used": 0, "recorded_at": now}
        )
        for i, line in enumerate(r.get("lines", ())):
            new_lines.append(
                {"order_id": order, "position": i, "sku": line.sku, "quantity": line.quantity}
                | {"unit_price_minor": line.unit_price.minor, "currency": line.unit_price.currency}
            )
    if new_purchases:
        conn.execute(sa.insert(purchases), new_purchases)
    if new_lines:
        conn.execute(sa.insert(lines), new_lines)


def core_load(backend: Backend, rows: Sequence[OrderRow], *, batch_size: int) -> Timing:
    """Time baseline A: SQLAlchemy Core ``executemany`` into equivalent tables."""
    tag = _fresh_tag()
    path = backend.workdir / f"core-{tag}.db"
    stamp = instant_of(backend)
    if backend.name == "sqlite":
        engine, prefix = _sqlite_engine(path), ""
        instant: sa.types.TypeEngine[Any] = sa.String(26)
    else:
        assert backend.postgres is not None
        engine, prefix = sa.create_engine(backend.postgres), f"a{tag}_"
        instant = sa.DateTime(timezone=True)
    md = sa.MetaData()
    tables = _core_tables(md, prefix, instant)
    try:
        md.create_all(engine)
        ids, now = SequentialIds(), stamp(CLOCK_START)
        watch = Stopwatch()
        watch.start()
        for batch in batches(rows, batch_size):
            with engine.begin() as conn:
                _core_batch(conn, tables, batch, ids, stamp, now)
        timing = watch.stop()
        with engine.connect() as conn:
            stored = conn.scalar(sa.select(sa.func.count()).select_from(tables[2]))
        if stored != len(rows):
            raise SystemExit(f"baseline A stored {stored} of {len(rows)} orders")
    finally:
        if backend.name == "postgres":
            drop_prefixed(engine, prefix)
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return timing


# -- B and C: the minimal two tables, on the driver ----------------------------------------

_MINIMAL_SCHEMA = {
    "sqlite": (
        "CREATE TABLE {p}customers (id INTEGER PRIMARY KEY, external_id TEXT NOT NULL UNIQUE)",
        "CREATE TABLE {p}purchases (order_id TEXT PRIMARY KEY, customer_id INTEGER NOT NULL"
        " REFERENCES {p}customers (id), occurred_at TEXT NOT NULL,"
        " total_minor INTEGER NOT NULL, currency TEXT NOT NULL)",
    ),
    "postgres": (
        "CREATE TABLE {p}customers (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " external_id TEXT NOT NULL UNIQUE)",
        "CREATE TABLE {p}purchases (order_id TEXT PRIMARY KEY, customer_id BIGINT NOT NULL"
        " REFERENCES {p}customers (id), occurred_at TIMESTAMPTZ NOT NULL,"
        " total_minor BIGINT NOT NULL, currency TEXT NOT NULL)",
    ),
}


@contextmanager
def minimal_tables(backend: Backend) -> Iterator[tuple[Any, str]]:
    """Yield an autocommit DB-API connection and the prefix of two fresh minimal tables."""
    tag = _fresh_tag()
    path = backend.workdir / f"minimal-{tag}.db"
    if backend.name == "sqlite":
        conn: Any = sqlite_connect(path)
        prefix = ""
    else:
        assert backend.postgres is not None
        conn, prefix = psycopg_connect(backend.postgres), f"m{tag}_"
    try:
        for statement in _MINIMAL_SCHEMA[backend.name]:
            conn.execute(statement.format(p=prefix))
        yield conn, prefix
    finally:
        if backend.name == "postgres":
            conn.execute(f"DROP TABLE IF EXISTS {prefix}purchases, {prefix}customers")
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _stored(conn: Any, prefix: str) -> int:
    count: int = conn.execute(f"SELECT count(*) FROM {prefix}purchases").fetchone()[0]
    return count


def executemany_load(backend: Backend, rows: Sequence[OrderRow], *, batch_size: int) -> Timing:
    """Time baseline B: per batch, upsert the customers, read their ids, upsert the orders."""
    sqlite = backend.name == "sqlite"
    m, begin = ("?", "BEGIN IMMEDIATE") if sqlite else ("%s", "BEGIN")
    stamp = instant_of(backend)
    with minimal_tables(backend) as (conn, p):
        add_customer = f"INSERT INTO {p}customers (external_id) VALUES ({m}) ON CONFLICT DO NOTHING"
        add_purchase = (
            f"INSERT INTO {p}purchases (order_id, customer_id, occurred_at, total_minor, currency)"
            f" VALUES ({m}, {m}, {m}, {m}, {m}) ON CONFLICT DO NOTHING"
        )
        cursor = conn.cursor()
        watch = Stopwatch()
        watch.start()
        for batch in batches(rows, batch_size):
            externals = list({r["customer_external_id"]: None for r in batch})
            if sqlite:
                marks = ", ".join("?" * len(externals))
                find = f"SELECT external_id, id FROM {p}customers WHERE external_id IN ({marks})"
                params: Any = externals
            else:
                find = f"SELECT external_id, id FROM {p}customers WHERE external_id = ANY(%s)"
                params = (externals,)
            cursor.execute(begin)
            cursor.executemany(add_customer, [(ext,) for ext in externals])
            cursor.execute(find, params)
            known = dict(cursor.fetchall())
            cursor.executemany(
                add_purchase,
                [
                    (
                        r["order_id"],
                        known[r["customer_external_id"]],
                        stamp(r["occurred_at"]),
                        r["total"].minor,
                        r["total"].currency,
                    )
                    for r in batch
                ],
            )
            cursor.execute("COMMIT")
        timing = watch.stop()
        if _stored(conn, p) != len(rows):
            raise SystemExit(f"baseline B stored {_stored(conn, p)} of {len(rows)} orders")
    return timing


def copy_load(backend: Backend, rows: Sequence[OrderRow], *, batch_size: int) -> Timing:
    """Time baseline C (PostgreSQL): per batch, ``COPY`` the new customers, then the orders."""
    stamp = instant_of(backend)
    with minimal_tables(backend) as (conn, p):
        cursor = conn.cursor()
        copy_customers = f"COPY {p}customers (id, external_id) FROM STDIN"
        copy_purchases = (
            f"COPY {p}purchases (order_id, customer_id, occurred_at, total_minor, currency)"
            " FROM STDIN"
        )
        known: dict[str, int] = {}
        watch = Stopwatch()
        watch.start()
        for batch in batches(rows, batch_size):
            cursor.execute("BEGIN")
            new: list[tuple[int, str]] = []
            for r in batch:
                ext = r["customer_external_id"]
                if ext not in known:
                    known[ext] = len(known) + 1
                    new.append((known[ext], ext))
            if new:
                with cursor.copy(copy_customers) as copy:
                    for item in new:
                        copy.write_row(item)
            with cursor.copy(copy_purchases) as copy:
                for r in batch:
                    total = r["total"]
                    copy.write_row(
                        (
                            r["order_id"],
                            known[r["customer_external_id"]],
                            stamp(r["occurred_at"]),
                            total.minor,
                            total.currency,
                        )
                    )
            cursor.execute("COMMIT")
        timing = watch.stop()
        if _stored(conn, p) != len(rows):
            raise SystemExit(f"baseline C stored {_stored(conn, p)} of {len(rows)} orders")
    return timing


# -- the run ------------------------------------------------------------------------------

Load = Callable[[Backend, Sequence[OrderRow]], Timing]


def sides(backend: Backend, *, batch_size: int, loyalty: bool) -> list[tuple[str, Load]]:
    """The sides timed on ``backend``, relationkit first."""
    driver = "sqlite3" if backend.name == "sqlite" else "psycopg"
    out: list[tuple[str, Load]] = [
        (RK, lambda b, rows: rk_load(b, rows, batch_size=batch_size, loyalty=loyalty)),
        (CORE, lambda b, rows: core_load(b, rows, batch_size=batch_size)),
        (
            MINIMAL.format(driver=driver),
            lambda b, rows: executemany_load(b, rows, batch_size=batch_size),
        ),
    ]
    if backend.name == "postgres":
        out.append((COPY, lambda b, rows: copy_load(b, rows, batch_size=batch_size)))
    return out


def measure(
    backend: Backend, rows: Sequence[OrderRow], args: argparse.Namespace
) -> dict[str, Timing]:
    """Return each side's best of ``--repeat`` rounds; the sides alternate within a round."""
    best: dict[str, Timing] = {}
    for _round in range(args.repeat):
        for name, load in sides(backend, batch_size=args.batch_size, loyalty=args.loyalty):
            timing = load(backend, rows)
            if name not in best or timing.seconds(args.cpu) < best[name].seconds(args.cpu):
                best[name] = timing
    return best


def report_rows(
    label: str, timings: dict[str, Timing], n: int, *, cpu: bool, check: Check
) -> list[tuple[str, ...]]:
    """One table row per side: times, orders per second, and the ratio to relationkit."""
    ours = timings[RK].seconds(cpu)
    out: list[tuple[str, ...]] = []
    for name, timing in timings.items():
        seconds = timing.seconds(cpu)
        ratio, target, verdict = "-", "-", "-"
        if name != RK:
            ratio = f"{ours / seconds:.2f}x"
            limit = {CORE: EQUIVALENT_TARGET, COPY: None}.get(name, MINIMAL_TARGET)
            if limit is not None:
                target = f"<= {limit:.1f}x"
                verdict = check.verdict(f"{label}: {name}", ours / seconds, limit)
        out.append(
            (
                name,
                label,
                f"{timing.wall:.2f} s",
                f"{timing.cpu:.2f} s",
                f"{n / seconds:,.0f}",
                ratio,
                target,
                verdict,
            )
        )
    return out


def print_profile(profiler: cProfile.Profile, top: int) -> None:
    """Print the profile's heaviest functions, by own time and by cumulative time."""
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        print(f"\n== relationkit record_many, top {top} by {order} ==")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    """Parse the command line; return it and the backends to run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="the 1/10 sample file")
    parser.add_argument("--limit", type=int, help="only the first LIMIT orders of the file")
    parser.add_argument(
        "--batch-size", type=int, default=BATCH_SIZE, help=f"orders per batch ({BATCH_SIZE:,})"
    )
    parser.add_argument("--loyalty", action="store_true", help="configure a 1 point/USD program")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; each side's best counts")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of timing, profile relationkit's side on SQLite with cProfile",
    )
    parser.add_argument("--top", type=int, default=25, help="functions shown by --profile")
    add_common_options(parser, backends=("sqlite", "postgres"))
    args = parser.parse_args(argv)
    for name in ("limit", "batch_size", "repeat", "top"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args, selected_backends(args, parser, ("sqlite", "postgres"))


def main(argv: Sequence[str] | None = None) -> int:
    """Load the orders on every side and backend; print the table (or the profile)."""
    args, backends = parse_args(argv)
    data = SAMPLE if args.quick else MASTER
    rows = list(iter_orders(data, limit=args.limit))
    customers = len({r["customer_external_id"] for r in rows})
    header_line(
        f"bulk benchmark: {len(rows):,} CDNOW orders of {customers:,} customers ({data.name}"
        + (f", first {args.limit:,}" if args.limit else "")
        + f"), batches of {args.batch_size:,}, one transaction each"
        + (", loyalty program on (1 point/USD)" if args.loyalty else ", no loyalty program"),
        timer_cpu=args.cpu,
    )
    url = postgres_url(args)
    check = Check()
    table: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="rk-bulk-") as tmp:
        work = Path(tmp)
        if args.profile:
            profiler = cProfile.Profile()
            timing = rk_load(
                Backend("sqlite", work),
                rows,
                batch_size=args.batch_size,
                loyalty=args.loyalty,
                profiler=profiler,
            )
            print(f"\nrelationkit under cProfile: {timing.wall:.2f} s wall, {timing.cpu:.2f} s CPU")
            print_profile(profiler, args.top)
            return 0
        for name in backends:
            backend = Backend(name, work, postgres=url)
            timings = measure(backend, rows, args)
            table += report_rows(backend.label, timings, len(rows), cpu=args.cpu, check=check)
            print(f"{backend.label}: done", flush=True)
    print()
    header = ("side", "backend", "wall", "CPU", "orders/s", "ratio", "target", "result")
    print_table(header, table)
    print(
        f"\nratio: relationkit's {'CPU' if args.cpu else 'wall-clock'} time over the side's, "
        f"best of {args.repeat}; targets (issue 8): at most {EQUIVALENT_TARGET}x A and "
        f"{MINIMAL_TARGET}x B; C (COPY) is the physical limit, no target"
    )
    if args.cpu and "postgres" in backends:
        print("on PostgreSQL the CPU time is this process's only: the server's work is left out")
    if args.loyalty:
        print("(the baselines keep no points ledger: the ratios include the cost of earning)")
    return check.exit_code(args.check)


if __name__ == "__main__":
    raise SystemExit(main())

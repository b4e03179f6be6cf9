"""How much relationkit costs over hand-written SQL for single point redemptions.

Run it with ``make bench`` or::

    python benchmarks/redeem.py                 # 10,000 redemptions on a SQLite file
    python benchmarks/redeem.py --quick         # 1,000
    python benchmarks/redeem.py --postgres URL  # PostgreSQL as well (a SQLAlchemy URL;
                                                # default $RELATIONKIT_TEST_POSTGRES_URL)
    python benchmarks/redeem.py --check         # exit 1 if a target is missed
    python benchmarks/redeem.py --profile       # cProfile the relationkit side
    python benchmarks/redeem.py --help          # more options

Both sides spend 1 point at a time, one transaction per redemption, each
with its own idempotency key, from one account holding a large balance
(``--accounts`` spreads the redemptions over several accounts):

relationkit
    ``kit.loyalty.redeem(customer_id, 1, idempotency_key=...)``: resolves the
    customer, locks the account, looks the key up, reads the account's
    points, settles what is due, appends the redemption with its allocation
    to lots, stores the key, bumps the account's event sequence.
raw SQL
    the DBAPI driver directly (``sqlite3`` / ``psycopg``): begin, look the
    key up, ``UPDATE balances SET points = points - 1 WHERE account_id = ?
    AND points >= 1`` (the guarded update), insert a ledger row and an
    idempotency row, commit.

On SQLite both sides use relationkit's set-up: WAL, ``synchronous=NORMAL``,
foreign keys on, a 5 s busy timeout, ``BEGIN IMMEDIATE`` for writes. Times
are wall-clock unless ``--cpu``; besides the totals, the relationkit side
reports its cost per redemption over the first and the last tenth of the
run, which shows whether a redemption gets slower as the ledger grows.

Target (issue 8): relationkit at most 2x the raw guarded update, on SQLite
and on PostgreSQL, for the full 10,000 redemptions on one account; the table
shows PASS or MISS against it whatever ``-n`` is. The exit code is 0
whatever the results (this is a report) unless ``--check`` is given.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sqlite3
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
import psycopg
import sqlalchemy as sa

import relationkit as rk

N = 10_000
N_QUICK = 1_000
BALANCE = 10_000_000
BUSY_TIMEOUT_MS = 5000
CLOCK_START = pendulum.datetime(2026, 1, 1, tz="UTC")
TARGET = 2.0
"""relationkit's time over the raw guarded update's, at most (SQLite and PostgreSQL)."""
POSTGRES_ENV = "RELATIONKIT_TEST_POSTGRES_URL"

Timer = Callable[[], float]
"""``time.perf_counter`` (wall clock) or ``time.process_time`` (this process's CPU)."""


@dataclass(frozen=True)
class Timing:
    """How long ``n`` redemptions took, in all and over the first and last tenths."""

    n: int
    seconds: float
    first_tenth: float
    last_tenth: float

    @property
    def per_op_us(self) -> float:
        """Microseconds per redemption over the whole run."""
        return self.seconds / self.n * 1e6


def timed_loop(n: int, step: Callable[[int], None], timer: Timer) -> Timing:
    """Run ``step(0) .. step(n - 1)``; time the whole and each tenth."""
    tenth = max(1, n // 10)
    marks = [timer()]
    for i in range(n):
        step(i)
        if (i + 1) % tenth == 0:
            marks.append(timer())
    first = (marks[1] - marks[0]) / tenth if len(marks) > 1 else 0.0
    last = (marks[-1] - marks[-2]) / tenth if len(marks) > 1 else 0.0
    return Timing(n=n, seconds=timer() - marks[0], first_tenth=first, last_tenth=last)


def _owners(n: int, accounts: int) -> Iterator[int]:
    """Which account (by index) the i-th redemption debits: round robin."""
    return (i % accounts for i in range(n))


# -- relationkit --------------------------------------------------------------


@contextmanager
def open_kit(url: str, prefix: str) -> Iterator[rk.RelationKit]:
    """Open a kit on ``url`` under a fresh table prefix; drop its tables afterwards."""
    engine = sa.create_engine(url)
    try:
        with rk.open(engine=engine, table_prefix=prefix, clock=rk.FrozenClock(CLOCK_START)) as kit:
            yield kit
    finally:
        drop_prefixed(engine, prefix)
        engine.dispose()


def drop_prefixed(engine: sa.Engine, prefix: str) -> None:
    """Drop every table whose name starts with ``prefix``."""
    metadata = sa.MetaData()
    metadata.reflect(engine, only=lambda name, _metadata: name.startswith(prefix))
    metadata.drop_all(engine)


def rk_run(
    url: str,
    n: int,
    accounts: int,
    *,
    timer: Timer,
    profiler: cProfile.Profile | None = None,
) -> Timing:
    """Time ``n`` relationkit redemptions of 1 point on a fresh database at ``url``."""
    with open_kit(url, f"b{uuid.uuid4().hex[:8]}_") as kit:
        customers = [
            kit.customers.create(email=f"member{a}@example.com").id for a in range(accounts)
        ]
        for a, customer in enumerate(customers):
            kit.loyalty.earn(customer, BALANCE, idempotency_key=f"seed-{a}")
        owners = list(_owners(n, accounts))
        redeem = kit.loyalty.redeem

        def step(i: int) -> None:
            redeem(customers[owners[i]], 1, idempotency_key=f"rw-{i}")

        if profiler is not None:
            profiler.enable()
        try:
            timing = timed_loop(n, step, timer)
        finally:
            if profiler is not None:
                profiler.disable()
        spent = sum(BALANCE - kit.loyalty.balance(c) for c in customers)
        if spent != n:
            raise SystemExit(f"relationkit redeemed {spent} points, expected {n}")
    return timing


# -- raw SQL --------------------------------------------------------------------


_RAW_SCHEMA = (
    "CREATE TABLE {p}balances (account_id VARCHAR(64) PRIMARY KEY, points BIGINT NOT NULL)",
    "CREATE TABLE {p}ledger (id VARCHAR(64) PRIMARY KEY, account_id VARCHAR(64) NOT NULL,"
    " kind VARCHAR(16) NOT NULL, points BIGINT NOT NULL, at VARCHAR(32) NOT NULL,"
    " idempotency_key VARCHAR(255))",
    "CREATE INDEX {p}ix_ledger_account ON {p}ledger (account_id, id)",
    "CREATE TABLE {p}idempotency (scope VARCHAR(64) NOT NULL, key VARCHAR(255) NOT NULL,"
    " payload_hash VARCHAR(64) NOT NULL, result TEXT NOT NULL, created_at VARCHAR(32) NOT NULL,"
    " PRIMARY KEY (scope, key))",
)


@dataclass(frozen=True)
class RawSql:
    """The baseline's statements for one DBAPI paramstyle."""

    find_key: str
    guarded_update: str
    insert_entry: str
    insert_key: str

    @classmethod
    def build(cls, prefix: str, mark: str) -> RawSql:
        """Statements on tables named with ``prefix``, parameters written ``mark``."""
        p, m = prefix, mark
        return cls(
            find_key=(
                f"SELECT payload_hash, result FROM {p}idempotency WHERE scope = {m} AND key = {m}"
            ),
            guarded_update=(
                f"UPDATE {p}balances SET points = points - 1 WHERE account_id = {m} AND points >= 1"
            ),
            insert_entry=f"INSERT INTO {p}ledger VALUES ({m}, {m}, 'redeem', -1, {m}, {m})",
            insert_key=f"INSERT INTO {p}idempotency VALUES ('loyalty', {m}, {m}, {m}, {m})",
        )


def _raw_redeem(cursor: Any, sql: RawSql, account: str, key: str, i: int, now: str) -> None:
    """One redemption's statements, inside the caller's transaction."""
    cursor.execute(sql.find_key, ("loyalty", key))
    if cursor.fetchone() is not None:
        raise SystemExit(f"raw: key {key} replayed")
    cursor.execute(sql.guarded_update, (account,))
    if cursor.rowcount != 1:
        raise SystemExit(f"raw: insufficient points on {account}")
    entry_id = f"led_{i:026d}"
    cursor.execute(sql.insert_entry, (entry_id, account, now, key))
    cursor.execute(sql.insert_key, (key, "0" * 64, entry_id, now))


def raw_sqlite_run(path: Path, n: int, accounts: int, *, timer: Timer) -> Timing:
    """Time ``n`` raw redemptions on a fresh SQLite file, ``sqlite3`` directly."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in (
            f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
            "PRAGMA foreign_keys = ON",
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
        ):
            connection.execute(pragma)
        for statement in _RAW_SCHEMA:
            connection.execute(statement.format(p=""))
        names = [f"acc_{a:026d}" for a in range(accounts)]
        connection.executemany(
            "INSERT INTO balances VALUES (?, ?)", [(name, BALANCE) for name in names]
        )
        sql = RawSql.build("", "?")
        owners = list(_owners(n, accounts))
        now = CLOCK_START.isoformat()
        cursor = connection.cursor()

        def step(i: int) -> None:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                _raw_redeem(cursor, sql, names[owners[i]], f"rw-{i}", i, now)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

        timing = timed_loop(n, step, timer)
        (left,) = connection.execute("SELECT SUM(points) FROM balances").fetchone()
        if BALANCE * accounts - left != n:
            raise SystemExit(f"raw SQL redeemed {BALANCE * accounts - left} points, expected {n}")
    finally:
        connection.close()
    return timing


def raw_postgres_run(url: str, n: int, accounts: int, *, timer: Timer) -> Timing:
    """Time ``n`` raw redemptions on PostgreSQL, ``psycopg`` directly."""
    parsed = sa.make_url(url).set(drivername="postgresql")
    prefix = f"b{uuid.uuid4().hex[:8]}_"
    with psycopg.connect(parsed.render_as_string(hide_password=False)) as connection:
        try:
            with connection.transaction():
                for statement in _RAW_SCHEMA:
                    connection.execute(statement.format(p=prefix))
                names = [f"acc_{a:026d}" for a in range(accounts)]
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {prefix}balances VALUES (%s, %s)",
                        [(name, BALANCE) for name in names],
                    )
            sql = RawSql.build(prefix, "%s")
            owners = list(_owners(n, accounts))
            now = CLOCK_START.isoformat()
            cursor = connection.cursor()

            def step(i: int) -> None:
                with connection.transaction():
                    _raw_redeem(cursor, sql, names[owners[i]], f"rw-{i}", i, now)

            timing = timed_loop(n, step, timer)
            row = connection.execute(f"SELECT SUM(points) FROM {prefix}balances").fetchone()
            if row is None or BALANCE * accounts - row[0] != n:
                raise SystemExit("raw SQL on PostgreSQL did not redeem every point")
        finally:
            connection.rollback()
            with connection.transaction():
                for table in ("idempotency", "ledger", "balances"):
                    connection.execute(f"DROP TABLE IF EXISTS {prefix}{table}")
    return timing


# -- report -----------------------------------------------------------------------


def best_of(
    repeat: int, baseline: Callable[[int], Timing], ours: Callable[[int], Timing]
) -> tuple[Timing, Timing]:
    """Return the fastest baseline and relationkit runs of ``repeat`` rounds (alternating)."""
    rounds = [(baseline(i), ours(i)) for i in range(repeat)]
    return min((b for b, _ in rounds), key=lambda t: t.seconds), min(
        (o for _, o in rounds), key=lambda t: t.seconds
    )


def print_done(name: str, base: Timing, ours: Timing) -> None:
    """Say that a backend is done, before the table (a long run shows progress)."""
    print(
        f"{name}: raw SQL {base.seconds:.2f} s, relationkit {ours.seconds:.2f} s",
        flush=True,
    )


def print_table(rows: Sequence[tuple[str, Timing, Timing]]) -> None:
    """Print one line per backend: both totals, per-redemption costs and the ratio."""
    header = (
        "backend",
        "raw SQL",
        "relationkit",
        "raw/op",
        "rk/op",
        "ratio",
        "target",
        "result",
        "rk/op first 10%",
        "rk/op last 10%",
    )
    cells = [header]
    for name, base, ours in rows:
        cells.append(
            (
                name,
                f"{base.seconds:.2f} s",
                f"{ours.seconds:.2f} s",
                f"{base.per_op_us:.0f} us",
                f"{ours.per_op_us:.0f} us",
                f"{ours.seconds / base.seconds:.2f}x",
                f"<= {TARGET:.1f}x",
                "PASS" if ours.seconds / base.seconds <= TARGET else "MISS",
                f"{ours.first_tenth * 1e6:.0f} us",
                f"{ours.last_tenth * 1e6:.0f} us",
            )
        )
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for k, row in enumerate(cells):
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if k == 0:
            print("  ".join("-" * w for w in widths))


def print_profile(profiler: cProfile.Profile, top: int) -> None:
    """Print the profile's heaviest functions, by own time and by cumulative time."""
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
        print(f"\n== relationkit side, top {top} by {order} ==")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"{N_QUICK:,} redemptions")
    parser.add_argument("-n", "--redemptions", type=int, help=f"how many (default {N:,})")
    parser.add_argument(
        "--accounts", type=int, default=1, help="spread the redemptions over this many accounts"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get(POSTGRES_ENV) or None,
        help=f"also run on this PostgreSQL URL (default: ${POSTGRES_ENV} if set)",
    )
    parser.add_argument(
        "--no-postgres", action="store_true", help=f"ignore --postgres and ${POSTGRES_ENV}"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--repeat", type=int, default=1, help="runs per timing; the best counts")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time this process's CPU instead of the wall clock (steadier on a busy machine)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of timing, profile the relationkit side on SQLite with cProfile",
    )
    parser.add_argument("--top", type=int, default=25, help="functions shown by --profile")
    args = parser.parse_args(argv)
    if args.no_postgres:
        args.postgres = None
    for name in ("redemptions", "accounts", "repeat", "top"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table (or the profile)."""
    args = parse_args(argv)
    n = args.redemptions or (N_QUICK if args.quick else N)
    timer: Timer = time.process_time if args.cpu else time.perf_counter
    print(
        f"relationkit {rk.__version__} redemption benchmark: {n:,} redemptions of 1 point, "
        f"one transaction each, over {args.accounts:,} account(s)"
    )
    print(
        "SQLite: WAL, synchronous=NORMAL, foreign_keys=ON, BEGIN IMMEDIATE "
        f"(SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}); "
        + ("CPU time of this process" if args.cpu else "wall-clock time"),
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="rk-redeem-") as tmp:
        work = Path(tmp)

        def sqlite_url(name: str) -> str:
            return f"sqlite:///{(work / name).as_posix()}"

        if args.profile:
            profiler = cProfile.Profile()
            timing = rk_run(
                sqlite_url("profiled.db"), n, args.accounts, timer=timer, profiler=profiler
            )
            print(f"\nrelationkit under cProfile: {timing.seconds:.2f} s")
            print_profile(profiler, args.top)
            return 0

        rows: list[tuple[str, Timing, Timing]] = []
        base, ours = best_of(
            args.repeat,
            lambda i: raw_sqlite_run(work / f"raw-{i}.db", n, args.accounts, timer=timer),
            lambda i: rk_run(sqlite_url(f"rk-{i}.db"), n, args.accounts, timer=timer),
        )
        rows.append(("SQLite file", base, ours))
        print_done(*rows[-1])
        if args.postgres:
            url = args.postgres
            base, ours = best_of(
                args.repeat,
                lambda _i: raw_postgres_run(url, n, args.accounts, timer=timer),
                lambda _i: rk_run(url, n, args.accounts, timer=timer),
            )
            rows.append(("PostgreSQL", base, ours))
            print_done(*rows[-1])
    print()
    print_table(rows)
    print(f"\ntarget: relationkit at most {TARGET:.1f}x the raw guarded update, per backend")
    missed = [name for name, base, ours in rows if ours.seconds / base.seconds > TARGET]
    if missed and args.check:
        print(f"missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What one write costs through relationkit over the same job written by hand.

Run it with ``make bench`` or::

    python benchmarks/write_path.py                  # SQLite file
    python benchmarks/write_path.py --quick          # fewer operations
    python benchmarks/write_path.py --postgres URL   # PostgreSQL as well
    python benchmarks/write_path.py --show-sql       # list relationkit's statements
    python benchmarks/write_path.py --help           # more options

Three measurements, each against a baseline timed in the same run, as the
median of ``--ops`` operations, each its own transaction:

empty transaction
    ``with kit.transaction(): pass`` against the bare driver:
    ``BEGIN IMMEDIATE; COMMIT`` on ``sqlite3``, ``BEGIN; COMMIT`` on
    ``psycopg``. Target: at most 3x.
record
    ``kit.purchases.record`` of a 20 EUR order by a customer who has bought
    before, without and with a points program (1 point per EUR, 14 days
    pending, expiry after 365 days), against

    * a hand-written DB-API transaction into equivalent tables doing the
      same job: look the customer up, check the order id, lock the account,
      insert the purchase, bump the account's version; with the program
      also update the account's points state row (which numbers the entry)
      and insert the ledger entry. Target: at most 1.2x.
    * a minimal DB-API transaction that inserts the purchase and nothing
      else. Target: at most 3x.
statements
    The SQL statements relationkit sends (counted with SQLAlchemy's
    ``before_cursor_execute`` on the kit's engine; ``executemany`` counts
    once, transaction control apart) for ``customers.create``,
    ``purchases.record`` (a repeat customer), ``purchases.refund`` (part of
    an order), ``loyalty.redeem`` and ``lifecycle.move``, next to the
    statements of a minimal hand-written transaction doing the same job
    (listed in :data:`MINIMAL`; ``--show-sql`` prints both sides).

On SQLite both sides use relationkit's set-up: WAL, ``synchronous=NORMAL``,
foreign keys on, a busy timeout, ``BEGIN IMMEDIATE`` for writes; on
PostgreSQL the baselines lock with ``SELECT ... FOR UPDATE``. The exit code
is 0 whatever the results (this is a report) unless ``--check`` is given.
"""

from __future__ import annotations

import argparse
import functools
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    Backend,
    Check,
    StatementCounter,
    Timer,
    add_common_options,
    fmt_us,
    header_line,
    kit_engine,
    median_per_op,
    open_kit,
    postgres_url,
    print_table,
    psycopg_connect,
    selected_backends,
    sqlite_connect,
    utc_now_text,
)

import relationkit as rk

OPS = 1_000
OPS_QUICK = 300
EMPTY_TARGET = 3.0
EQUIVALENT_TARGET = 1.2
MINIMAL_TARGET = 3.0
CLOCK_START = pendulum.datetime(2026, 1, 1, tz="UTC")
ORDER_TOTAL = rk.Money("20.00", "EUR")
PROGRAM = rk.LoyaltyProgram(
    currency="EUR", points_per_unit=1, pending_days=14, expiry=rk.Expiry.after_days(365)
)

MINIMAL: dict[str, tuple[str, ...]] = {
    "customers.create": (
        "INSERT INTO accounts (id, kind, stage, stage_since, version) VALUES (...)",
        "INSERT INTO customers (id, account_id, email, created_at) VALUES (...)",
        "INSERT INTO stage_changes (account_id, to_stage, at) VALUES (...)",
    ),
    "purchases.record": (
        "SELECT account_id FROM customers WHERE id = ?",
        "SELECT payload_hash FROM purchases WHERE order_id = ?",
        "SELECT stage, version FROM accounts WHERE id = ? FOR UPDATE",
        "INSERT INTO purchases (...) VALUES (...)",
        "UPDATE accounts SET version = version + 1 WHERE id = ?",
    ),
    "purchases.record, program": (
        "SELECT account_id FROM customers WHERE id = ?",
        "SELECT payload_hash FROM purchases WHERE order_id = ?",
        "SELECT stage, version FROM accounts WHERE id = ? FOR UPDATE",
        "INSERT INTO purchases (...) VALUES (...)",
        "UPDATE accounts SET version = version + 1 WHERE id = ?",
        "UPDATE points_state SET pending = pending + ?, next_seq = next_seq + 1"
        " WHERE account_id = ? RETURNING next_seq",
        "INSERT INTO ledger_entries (...) VALUES (...)",
    ),
    "purchases.refund": (
        "SELECT order_id, amount_minor FROM refunds WHERE refund_id = ?",
        "SELECT id, account_id, total_minor, refunded_minor FROM purchases"
        " WHERE order_id = ? FOR UPDATE",
        "INSERT INTO refunds (...) VALUES (...)",
        "UPDATE purchases SET refunded_minor = refunded_minor + ? WHERE id = ?",
        "UPDATE accounts SET version = version + 1 WHERE id = ?",
    ),
    "purchases.refund, program": (
        "SELECT order_id, amount_minor FROM refunds WHERE refund_id = ?",
        "SELECT id, account_id, total_minor, refunded_minor FROM purchases"
        " WHERE order_id = ? FOR UPDATE",
        "INSERT INTO refunds (...) VALUES (...)",
        "UPDATE purchases SET refunded_minor = refunded_minor + ? WHERE id = ?",
        "UPDATE accounts SET version = version + 1 WHERE id = ?",
        "SELECT id, points_left FROM ledger_entries WHERE source = ? FOR UPDATE",
        "UPDATE ledger_entries SET points_left = points_left - ? WHERE id = ?",
        "UPDATE points_state SET pending = pending - ?, next_seq = next_seq + 1"
        " WHERE account_id = ? RETURNING next_seq",
        "INSERT INTO ledger_entries (...) VALUES (...)",
    ),
    "loyalty.redeem, program": (
        "SELECT account_id FROM customers WHERE id = ?",
        "SELECT payload_hash, result FROM idempotency WHERE scope = ? AND key = ?",
        "UPDATE points_state SET balance = balance - ?, next_seq = next_seq + 1"
        " WHERE account_id = ? AND balance >= ? RETURNING next_seq",
        "SELECT id, points_left FROM ledger_entries WHERE account_id = ? AND points_left > 0"
        " ORDER BY expires_at, seq LIMIT 1 FOR UPDATE",
        "UPDATE ledger_entries SET points_left = points_left - ? WHERE id = ?",
        "INSERT INTO ledger_entries (...) VALUES (...)",
        "INSERT INTO idempotency (...) VALUES (...)",
    ),
    "lifecycle.move": (
        "SELECT account_id FROM customers WHERE id = ?",
        "SELECT stage, version FROM accounts WHERE id = ? FOR UPDATE",
        "UPDATE accounts SET stage = ?, stage_since = ?, version = version + 1 WHERE id = ?",
        "INSERT INTO stage_changes (account_id, from_stage, to_stage, at) VALUES (...)",
    ),
}
"""The statements of a minimal hand-written transaction doing each operation's job.

Without ``BEGIN`` and ``COMMIT``. "program" marks a kit with a points
program (the order's points are pending, so a refund reverses pending
points). ``FOR UPDATE`` is PostgreSQL's; on SQLite ``BEGIN IMMEDIATE``
holds the lock.
"""


# -- the hand-written side ----------------------------------------------------------


_SCHEMA = (
    "CREATE TABLE {p}accounts (id VARCHAR(64) PRIMARY KEY, kind VARCHAR(8) NOT NULL,"
    " stage VARCHAR(64) NOT NULL, stage_since VARCHAR(32) NOT NULL, version BIGINT NOT NULL)",
    "CREATE TABLE {p}customers (id VARCHAR(64) PRIMARY KEY, account_id VARCHAR(64) NOT NULL"
    " REFERENCES {p}accounts (id), email VARCHAR(320), created_at VARCHAR(32) NOT NULL)",
    "CREATE INDEX {p}ix_customers_account ON {p}customers (account_id, id)",
    "CREATE TABLE {p}purchases (id VARCHAR(64) PRIMARY KEY, order_id VARCHAR(128) NOT NULL"
    " UNIQUE, account_id VARCHAR(64) NOT NULL REFERENCES {p}accounts (id),"
    " customer_id VARCHAR(64) NOT NULL REFERENCES {p}customers (id),"
    " occurred_at VARCHAR(32) NOT NULL, total_minor BIGINT NOT NULL, currency VARCHAR(3)"
    " NOT NULL, points_used BIGINT NOT NULL, payload_hash VARCHAR(64) NOT NULL,"
    " recorded_at VARCHAR(32) NOT NULL)",
    "CREATE INDEX {p}ix_purchases_account ON {p}purchases (account_id, occurred_at, id)",
    "CREATE TABLE {p}points_state (account_id VARCHAR(64) PRIMARY KEY REFERENCES"
    " {p}accounts (id), balance BIGINT NOT NULL, pending BIGINT NOT NULL,"
    " next_seq BIGINT NOT NULL)",
    "CREATE TABLE {p}ledger_entries (id VARCHAR(64) PRIMARY KEY, account_id VARCHAR(64)"
    " NOT NULL REFERENCES {p}accounts (id), seq BIGINT NOT NULL, kind VARCHAR(16) NOT NULL,"
    " points BIGINT NOT NULL, points_left BIGINT NOT NULL, occurred_at VARCHAR(32) NOT NULL,"
    " available_at VARCHAR(32), expires_at VARCHAR(32), source VARCHAR(255),"
    " UNIQUE (account_id, seq))",
)
_TABLES = ("ledger_entries", "points_state", "purchases", "customers", "accounts")


@dataclass(frozen=True)
class _Sql:
    """The hand-written statements for one driver's paramstyle and lock clause."""

    find_customer: str
    find_order: str
    lock_account: str
    insert_purchase: str
    bump_account: str
    bump_state: str
    insert_entry: str

    @classmethod
    def build(cls, p: str, m: str, lock: str) -> _Sql:
        """Statements on tables prefixed ``p``, parameters ``m``, lock clause ``lock``."""
        return cls(
            find_customer=f"SELECT account_id FROM {p}customers WHERE id = {m}",
            find_order=f"SELECT payload_hash FROM {p}purchases WHERE order_id = {m}",
            lock_account=f"SELECT stage, version FROM {p}accounts WHERE id = {m}{lock}",
            insert_purchase=f"INSERT INTO {p}purchases VALUES ({', '.join([m] * 10)})",
            bump_account=f"UPDATE {p}accounts SET version = version + 1 WHERE id = {m}",
            bump_state=(
                f"UPDATE {p}points_state SET pending = pending + {m}, next_seq = next_seq + 1"
                f" WHERE account_id = {m} RETURNING next_seq"
            ),
            insert_entry=f"INSERT INTO {p}ledger_entries VALUES ({', '.join([m] * 10)})",
        )


class HandWritten:
    """The baselines, on a DB-API cursor in autocommit mode (the script says BEGIN)."""

    ACCOUNT = f"acc_{0:026d}"
    CUSTOMER = f"cus_{0:026d}"

    def __init__(self, cursor: Any, *, prefix: str, mark: str, lock: str, begin: str) -> None:
        self.cursor = cursor
        self.prefix = prefix
        self.begin = begin
        self.sql = _Sql.build(prefix, mark, lock)
        self.now = utc_now_text(CLOCK_START)
        self._n = 0
        for statement in _SCHEMA:
            cursor.execute(statement.format(p=prefix))
        p, m = prefix, mark
        cursor.execute(self.begin)
        cursor.execute(
            f"INSERT INTO {p}accounts VALUES ({m}, 'b2c', 'customer', {m}, 1)",
            (self.ACCOUNT, self.now),
        )
        cursor.execute(
            f"INSERT INTO {p}customers VALUES ({m}, {m}, 'member@example.com', {m})",
            (self.CUSTOMER, self.ACCOUNT, self.now),
        )
        cursor.execute(
            f"INSERT INTO {p}points_state VALUES ({m}, 0, 0, 1)",
            (self.ACCOUNT,),
        )
        cursor.execute("COMMIT")

    def drop(self) -> None:
        """Drop the baseline's tables."""
        for table in _TABLES:
            self.cursor.execute(f"DROP TABLE IF EXISTS {self.prefix}{table}")

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        self.cursor.execute(self.begin)
        try:
            yield self.cursor
        except BaseException:
            self.cursor.execute("ROLLBACK")
            raise
        self.cursor.execute("COMMIT")

    def empty(self, _i: int) -> None:
        """``BEGIN``, ``COMMIT``."""
        self.cursor.execute(self.begin)
        self.cursor.execute("COMMIT")

    def _purchase(self, order_id: str) -> tuple[object, ...]:
        self._n += 1
        return (
            f"pur_{self._n:026d}",
            order_id,
            self.ACCOUNT,
            self.CUSTOMER,
            self.now,
            ORDER_TOTAL.minor,
            ORDER_TOTAL.currency,
            0,
            "0" * 64,
            self.now,
        )

    def minimal(self, i: int) -> None:
        """Insert the purchase, nothing else."""
        with self._transaction() as cursor:
            cursor.execute(self.sql.insert_purchase, self._purchase(f"m-{i}"))

    def record(self, i: int, *, loyalty: bool) -> None:
        """Record one order as relationkit's job describes it (see the module docstring)."""
        sql = self.sql
        order_id = f"{'l' if loyalty else 'e'}-{i}"
        with self._transaction() as cursor:
            cursor.execute(sql.find_customer, (self.CUSTOMER,))
            (account,) = cursor.fetchone()
            cursor.execute(sql.find_order, (order_id,))
            if cursor.fetchone() is not None:
                raise SystemExit(f"hand-written: order {order_id} replayed")
            cursor.execute(sql.lock_account, (account,))
            cursor.fetchone()
            cursor.execute(sql.insert_purchase, self._purchase(order_id))
            cursor.execute(sql.bump_account, (account,))
            if loyalty:
                points = ORDER_TOTAL.minor // 100
                cursor.execute(sql.bump_state, (points, account))
                (seq,) = cursor.fetchone()
                cursor.execute(
                    sql.insert_entry,
                    (
                        f"led_{self._n:026d}",
                        account,
                        seq,
                        "pending",
                        points,
                        points,
                        self.now,
                        self.now,
                        self.now,
                        f"purchase:{order_id}",
                    ),
                )

    def statements_per_record(self, *, loyalty: bool) -> int:
        """How many statements :meth:`record` sends, BEGIN and COMMIT aside."""
        return 7 if loyalty else 5


@contextmanager
def hand_written(backend: Backend) -> Iterator[HandWritten]:
    """Open the baselines' tables on a fresh SQLite file or under a fresh PostgreSQL prefix."""
    if backend.name == "sqlite":
        connection = sqlite_connect(backend.workdir / f"hand-{uuid.uuid4().hex[:8]}.db")
        try:
            yield HandWritten(
                connection.cursor(), prefix="", mark="?", lock="", begin="BEGIN IMMEDIATE"
            )
        finally:
            connection.close()
        return
    if backend.postgres is None:
        raise ValueError(f"no baseline for {backend.name}")
    with psycopg_connect(backend.postgres) as pg:
        base = HandWritten(
            pg.cursor(),
            prefix=f"h{uuid.uuid4().hex[:8]}_",
            mark="%s",
            lock=" FOR UPDATE",
            begin="BEGIN",
        )
        try:
            yield base
        finally:
            base.drop()


# -- the relationkit side ------------------------------------------------------------


def _record_step(kit: rk.RelationKit, customer: str, tag: str) -> Callable[[int], object]:
    record = kit.purchases.record
    now = CLOCK_START

    def step(i: int) -> None:
        record(order_id=f"{tag}-{i}", customer_id=customer, occurred_at=now, total=ORDER_TOTAL)

    return step


def _empty_step(kit: rk.RelationKit) -> Callable[[int], object]:
    def step(_i: int) -> None:
        with kit.transaction():
            pass

    return step


def _sent_by_empty(kit: rk.RelationKit) -> str:
    """Say which statements ``with kit.transaction(): pass`` sends (COMMIT is not seen)."""
    engine = kit_engine(kit)
    if engine is None:
        return "(unknown: no engine)"
    with StatementCounter(engine).counting() as seen, kit.transaction():
        locked = engine.dialect.name == "sqlite" and _write_lock_held(engine)
    sent = [*seen.control, *seen.statements]
    if locked and not sent:
        # relationkit sends its BEGIN IMMEDIATE to the driver directly (no
        # cursor event); another connection finding the database locked shows it.
        sent = ["BEGIN IMMEDIATE (to the driver)"]
    return ", ".join(sent) + " and COMMIT" if sent else "nothing to the server"


def _write_lock_held(engine: Any) -> bool:
    """Return whether some connection holds ``engine``'s SQLite file's write lock."""
    path = engine.url.database
    if not path:
        return False
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()


@dataclass(frozen=True)
class Measure:
    """One timed comparison."""

    name: str
    backend: str
    baseline: float
    ours: float
    target: float
    note: str = ""
    comparable: bool = True
    """False when relationkit did not do the job the baseline does (nothing to judge)."""


def time_backend(backend: Backend, ops: int, timer: Timer) -> list[Measure]:
    """Time the empty transaction and the records on ``backend``, against their baselines."""
    clock = rk.FrozenClock(CLOCK_START)
    label = backend.label
    begin = "BEGIN IMMEDIATE; COMMIT" if backend.name == "sqlite" else "BEGIN; COMMIT"
    out: list[Measure] = []
    with (
        hand_written(backend) as base,
        open_kit(backend, clock=clock) as plain,
        open_kit(backend, clock=clock, loyalty=PROGRAM) as points,
    ):
        plain_customer = plain.customers.create(email="member@example.com").id
        points_customer = points.customers.create(email="member@example.com").id

        def both(
            baseline: Callable[[int], object], ours: Callable[[int], object]
        ) -> tuple[float, float]:
            # Alternate in halves: a machine that gets busier weighs on both sides.
            half = max(1, ops // 2)
            b1, o1 = median_per_op(half, baseline, timer), median_per_op(half, ours, timer)
            b2 = median_per_op(half, lambda i: baseline(i + half + 5), timer)
            o2 = median_per_op(half, lambda i: ours(i + half + 5), timer)
            return (b1 + b2) / 2, (o1 + o2) / 2

        b, o = both(base.empty, _empty_step(plain))
        sent = _sent_by_empty(plain)
        note = f"{label}: relationkit's empty transaction sent {sent}"
        out.append(
            Measure(
                f"empty transaction vs {begin}",
                label,
                b,
                o,
                EMPTY_TARGET,
                note,
                # A kit that sends nothing beats any real BEGIN; COMMIT: no verdict.
                comparable=sent != "nothing to the server",
            )
        )
        minimal, _ = both(base.minimal, lambda _i: None)
        for loyalty, kit, customer in (
            (False, plain, plain_customer),
            (True, points, points_customer),
        ):
            what = "record, with program" if loyalty else "record, no program"
            n = base.statements_per_record(loyalty=loyalty)
            b, o = both(
                functools.partial(base.record, loyalty=loyalty),
                _record_step(kit, customer, "l" if loyalty else "e"),
            )
            out.append(
                Measure(f"{what} vs hand-written ({n} statements)", label, b, o, EQUIVALENT_TARGET)
            )
            out.append(Measure(f"{what} vs one INSERT", label, minimal, o, MINIMAL_TARGET))
    return out


# -- statements ------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """The statements one relationkit operation sent."""

    operation: str
    backend: str
    statements: tuple[str, ...]
    control: tuple[str, ...]


def _count_kit(kit: rk.RelationKit, label: str, *, loyalty: bool) -> list[Count]:
    """Count the statements of each operation of :data:`MINIMAL` that ``kit`` has.

    Each operation is counted on its second run, on a customer who has
    bought before: the steady state, without a first purchase's stage move.
    """
    engine = kit_engine(kit)
    if engine is None:
        return []
    counter = StatementCounter(engine)
    suffix = ", program" if loyalty else ""
    out: list[Count] = []
    now = CLOCK_START
    refund = rk.Money("5.00", "EUR")

    def count(name: str, op: Callable[[], object]) -> None:
        with counter.counting() as seen:
            op()
        out.append(Count(name, label, tuple(seen.statements), tuple(seen.control)))

    def record(order_id: str, customer: str) -> rk.Purchase:
        return kit.purchases.record(
            order_id=order_id, customer_id=customer, occurred_at=now, total=ORDER_TOTAL
        )

    first, second = (kit.customers.create(email=f"m{i}@example.com").id for i in range(2))
    record("warm-0", first)
    record("warm-1", first)
    kit.purchases.refund("warm-0", refund_id="warm-r", amount=refund)
    if not loyalty:
        count("customers.create", lambda: kit.customers.create(email="counted@example.com"))
    count(f"purchases.record{suffix}", lambda: record("counted", first))
    count(
        f"purchases.refund{suffix}",
        lambda: kit.purchases.refund("warm-1", refund_id="counted-r", amount=refund),
    )
    if loyalty:
        kit.loyalty.earn(first, 1_000, idempotency_key="warm-earn")
        kit.loyalty.redeem(first, 1, idempotency_key="warm-redeem")
        count(
            "loyalty.redeem, program",
            lambda: kit.loyalty.redeem(first, 1, idempotency_key="counted-redeem"),
        )
    else:
        record("warm-2", second)
        kit.lifecycle.move(second, "loyal")
        count("lifecycle.move", lambda: kit.lifecycle.move(first, "loyal"))
    return out


def count_backend(backend: Backend) -> list[Count]:
    """Count the statements of each operation in :data:`MINIMAL` on ``backend``."""
    clock = rk.FrozenClock(CLOCK_START)
    with (
        open_kit(backend, clock=clock) as plain,
        open_kit(backend, clock=clock, loyalty=PROGRAM) as points,
    ):
        out = _count_kit(plain, backend.label, loyalty=False)
        out += _count_kit(points, backend.label, loyalty=True)
    order = list(MINIMAL)
    return sorted(out, key=lambda c: order.index(c.operation))


# -- report ------------------------------------------------------------------------------


def report_times(measures: Sequence[Measure], check: Check) -> None:
    """Print the timed comparisons with their targets."""
    rows = []
    for m in measures:
        ratio = m.ours / m.baseline
        result = (
            check.verdict(f"{m.backend}: {m.name} ({ratio:.2f}x)", ratio, m.target)
            if m.comparable
            else "n/a"
        )
        rows.append(
            (
                m.name,
                m.backend,
                fmt_us(m.baseline),
                fmt_us(m.ours),
                f"{ratio:.2f}x",
                f"<= {m.target:.1f}x",
                result,
            )
        )
    header = ("measure (median per op)", "backend", "baseline", "relationkit", "ratio")
    print_table((*header, "target", "result"), rows)
    notes = [m.note for m in measures if m.note]
    if notes:
        print("\n" + "\n".join(notes))


def report_counts(counts: Sequence[Count], *, show_sql: bool) -> None:
    """Print the statement counts next to the minimal hand-written ones."""
    backends = list(dict.fromkeys(c.backend for c in counts))
    by = {(c.operation, c.backend): c for c in counts}
    header: list[str] = ["operation (statements, BEGIN/COMMIT aside)", "minimal"]
    for backend in backends:
        header += [f"{backend}", "+ control"]
    rows = []
    for operation, minimal in MINIMAL.items():
        row = [operation, str(len(minimal))]
        for backend in backends:
            c = by.get((operation, backend))
            row += [str(len(c.statements)), str(len(c.control))] if c else ["-", "-"]
        rows.append(row)
    print_table(header, rows)
    print(
        "\n+ control: BEGIN and savepoints as SQLAlchemy sends them (psycopg begins implicitly, "
        "and COMMIT goes to the driver: neither is seen)"
    )
    if not show_sql:
        return
    for operation, minimal in MINIMAL.items():
        print(f"\n== {operation} ==\nminimal:")
        for statement in minimal:
            print(f"  {statement}")
        for backend in backends:
            c = by.get((operation, backend))
            if c is None:
                continue
            print(f"relationkit on {backend}:")
            for statement in (*c.control, *c.statements):
                print(f"  {statement[:160]}")


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    """Parse the command line; return it and the backends to run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"{OPS_QUICK:,} operations each")
    parser.add_argument("--ops", type=int, help=f"operations timed per measure (default {OPS:,})")
    parser.add_argument(
        "--show-sql", action="store_true", help="print the statements of each counted operation"
    )
    add_common_options(parser, backends=("sqlite", "postgres"))
    args = parser.parse_args(argv)
    if args.ops is not None and args.ops < 2:
        parser.error("--ops must be at least 2")
    return args, selected_backends(args, parser, ("sqlite", "postgres"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    args, backends = parse_args(argv)
    ops: int = args.ops or (OPS_QUICK if args.quick else OPS)
    timer: Timer = time.process_time if args.cpu else time.perf_counter
    header_line(
        f"write path benchmark: median of {ops:,} operations per measure, each its own transaction",
        timer_cpu=args.cpu,
    )
    check = Check()
    measures: list[Measure] = []
    counts: list[Count] = []
    with tempfile.TemporaryDirectory(prefix="rk-write-") as tmp:
        for name in backends:
            backend = Backend(name, Path(tmp), postgres_url(args))
            measures += time_backend(backend, ops, timer)
            counts += count_backend(backend)
            print(f"{backend.label}: done", flush=True)
    print()
    report_times(measures, check)
    print()
    report_counts(counts, show_sql=args.show_sql)
    print(
        "\nrecord: a repeat customer's 20 EUR order; program: 1 point/EUR, 14 days pending, "
        "expiry after 365 days"
    )
    return check.exit_code(args.check)


if __name__ == "__main__":
    raise SystemExit(main())

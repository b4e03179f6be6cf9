"""Whether a loyalty write costs the same on a long points history as on a short one.

Run it with ``make bench`` or::

    python benchmarks/ledger_scaling.py                  # 10 .. 100,000 entries
    python benchmarks/ledger_scaling.py --quick          # 10, 1,000 and 10,000
    python benchmarks/ledger_scaling.py --sizes 10,500   # other history sizes
    python benchmarks/ledger_scaling.py --tiers          # with two tiers over 365 days
    python benchmarks/ledger_scaling.py --postgres URL   # PostgreSQL as well
    python benchmarks/ledger_scaling.py --help           # more options

For every history size and backend, one account is given a points history
of about that many ledger entries, built fast through the public API: a
``FrozenClock`` starts four years back and moves forward a quarter at a time;
each quarter's orders (``kit.purchases.record_many``, ``batch_size=5000``)
are recorded, then ``kit.loyalty.process_due()`` activates and expires what
is due, and a few points are redeemed. The history thus holds pending
earnings, activations, expiries and redemptions. At the end one manual
earning gives the account the balance the timed redemptions spend, and
single redemptions top the history up to the requested size.

Then, each its own transaction, on that account at the clock's time:

redeem
    ``kit.loyalty.redeem(customer, 1, idempotency_key=...)``, ``--ops`` times;
purchase
    ``kit.purchases.record(...)`` of a 20 EUR order (earning 20 pending
    points), ``--ops`` times;
timeline page
    ``kit.timeline(customer, limit=50, after=cursor)`` with a cursor in the
    middle of the history, ``--ops`` times (a read: each source from its
    index on SQL; the memory backend's reference sorts the whole ledger).

The stores of every size stay open and the timed operations run in rounds
that visit each size in turn, so a drift of the machine's speed during the
run weighs on every size alike.

The table gives the median cost of one operation per backend and size, and
its ratio to the smallest size (10 entries by default). Target: on the
largest history, at most 1.2x the smallest (a write costs what it touches,
never what the account has accumulated); every larger size is held to it.

Program: 1 point per EUR, points pending for 14 days, expiring 365 days after
they are earned; ``--tiers`` adds silver (2,000 points) and gold (10,000
points) earned over a rolling 365 days.

The exit code is 0 whatever the results (this is a report) unless
``--check`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pendulum
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    Backend,
    Check,
    add_common_options,
    fmt_int,
    fmt_us,
    header_line,
    kit_engine,
    open_kit,
    postgres_url,
    print_table,
    selected_backends,
)

import relationkit as rk

SIZES = (10, 1_000, 10_000, 100_000)
SIZES_QUICK = (10, 1_000, 10_000)
OPS = 200
TARGET = 1.2
CLOCK_END = pendulum.datetime(2026, 1, 1, tz="UTC")
YEARS = 4
QUARTERS = YEARS * 4
ORDER_TOTAL = rk.Money("20.00", "EUR")
ENTRIES_PER_ORDER = 2.8
"""About how many entries an order leaves: pending, activation, mostly an expiry."""
REDEEM_EVERY = 20
"""A quarter redeems one point per this many of its orders."""
SEED_MARGIN = 1_000
"""Points the seed earning adds to what the timed redemptions spend."""
WARMUP = 5


PAGE = 50
"""Lines per timeline page timed."""


def program(*, tiers: bool) -> rk.LoyaltyProgram:
    """1 point per EUR, pending 14 days, expiring after 365; with tiers if asked."""
    return rk.LoyaltyProgram(
        currency="EUR",
        points_per_unit=1,
        pending_days=14,
        expiry=rk.Expiry.after_days(365),
        tiers=(rk.Tier(name="silver", threshold=2_000), rk.Tier(name="gold", threshold=10_000))
        if tiers
        else (),
        tier_window_days=365,
    )


# -- building a history ---------------------------------------------------------


def count_entries(kit: rk.RelationKit, customer: str) -> int:
    """Return how many ledger entries the customer's account holds.

    On SQL stores a ``COUNT(*)`` on the ledger table (reading a long history
    through ``kit.loyalty.history`` costs more than the benchmark); elsewhere
    the length of the history.
    """
    engine = kit_engine(kit)
    table = getattr(getattr(kit.storage, "tables", None), "ledger_entries", None)
    if engine is None or not isinstance(table, sa.Table):
        return len(kit.loyalty.history(customer))
    account = kit.customers.get(customer).account_id
    with engine.connect() as connection:
        count = connection.scalar(
            sa.select(sa.func.count()).select_from(table).where(table.c.account_id == account)
        )
    return int(count or 0)


@dataclass(frozen=True)
class History:
    """What :func:`build_history` made."""

    customer: str
    entries: int
    orders: int
    seconds: float


def build_history(kit: rk.RelationKit, clock: rk.FrozenClock, size: int, *, spend: int) -> History:
    """Give one new customer a ledger of about ``size`` entries; leave the clock at the end.

    The clock must stand :data:`YEARS` years before :data:`CLOCK_END`. The
    account is left with at least ``spend`` points to redeem (a small seed:
    a large one would lift every account into the top tier).
    """
    started = time.perf_counter()
    customer = kit.customers.create(email="member@example.com").id
    orders = max(1, int((size * 0.95 - 1) / ENTRIES_PER_ORDER))
    start = clock.now()
    span = (CLOCK_END - start).total_seconds()
    # Evenly spread over the years, each recorded in the quarter it falls in.
    times = [start.add(seconds=int(span * (i + 0.5) / orders)) for i in range(orders)]
    redeemed = 0
    last = 0
    for quarter in range(QUARTERS):
        end = start.add(months=3 * (quarter + 1))
        first = last
        while last < orders and times[last] < end:
            last += 1
        rows = [
            {
                "order_id": f"h-{i}",
                "customer_id": customer,
                "occurred_at": times[i],
                "total": ORDER_TOTAL,
            }
            for i in range(first, last)
        ]
        clock.advance(seconds=(end - clock.now()).total_seconds())
        if rows:
            kit.purchases.record_many(rows, batch_size=5000)
        kit.loyalty.process_due()
        if len(rows) >= REDEEM_EVERY:
            with kit.transaction():
                for _ in range(len(rows) // REDEEM_EVERY):
                    redeemed += 1
                    kit.loyalty.redeem(customer, 1, idempotency_key=f"h-r{redeemed}")
    kit.loyalty.earn(customer, spend + SEED_MARGIN, idempotency_key="seed")
    entries = count_entries(kit, customer)
    if entries < size:
        with kit.transaction():
            for _ in range(size - entries):
                redeemed += 1
                kit.loyalty.redeem(customer, 1, idempotency_key=f"h-r{redeemed}")
        entries = count_entries(kit, customer)
    return History(customer, entries, orders, time.perf_counter() - started)


# -- timing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One backend and size: the history and the median cost of each write."""

    backend: str
    size: int
    history: History
    redeem: float
    purchase: float
    page: float


def refresh_statistics(kit: rk.RelationKit) -> None:
    """On PostgreSQL, VACUUM ANALYZE after the bulk build, as autovacuum would soon do.

    The build updates one account's state row tens of thousands of times in
    a few seconds; until a vacuum runs, every read of that row walks the
    dead versions the updates left, and the planner still believes the
    freshly filled tables are empty. Both measure the build, not the write.
    """
    engine = getattr(kit.storage, "_engine", None)
    if engine is not None and engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


ROUNDS = 10
"""The timed operations of each kind are split into this many rounds, sizes interleaved."""


@dataclass
class _Subject:
    """One size's open kit and history, and the times measured on it so far."""

    kit: rk.RelationKit
    history: History
    now: pendulum.DateTime
    times: dict[str, list[float]]


def _step(subject: _Subject, kind: str, i: int, cursor: rk.TimelineEntry) -> None:
    """Run the ``i``-th operation of ``kind``: r(edeem), p(urchase) or t(imeline page)."""
    kit, customer = subject.kit, subject.history.customer
    if kind == "r":
        kit.loyalty.redeem(customer, 1, idempotency_key=f"t-r{i}")
    elif kind == "p":
        kit.purchases.record(
            order_id=f"t-{i}", customer_id=customer, occurred_at=subject.now, total=ORDER_TOTAL
        )
    else:
        kit.timeline(customer, limit=PAGE, after=cursor)


def measure(
    backend: Backend, sizes: Sequence[int], *, ops: int, tiers: bool, timer_cpu: bool
) -> list[Result]:
    """Build a history of each size on its own fresh store of ``backend``; time the writes.

    Every size's store stays open while the others are measured: the timed
    operations run in :data:`ROUNDS` rounds, each round visiting every size
    in turn, so a machine getting slower or faster during the run (CPU
    frequency, other processes, the page cache) weighs on every size alike
    instead of on whichever size ran last.
    """
    timer = time.process_time if timer_cpu else time.perf_counter
    with contextlib.ExitStack() as stack:
        subjects: list[_Subject] = []
        for size in sizes:
            clock = rk.FrozenClock(CLOCK_END.subtract(years=YEARS))
            kit = stack.enter_context(open_kit(backend, clock=clock, loyalty=program(tiers=tiers)))
            history = build_history(kit, clock, size, spend=2 * (ops + WARMUP))
            refresh_statistics(kit)
            subjects.append(_Subject(kit, history, clock.now(), {"r": [], "p": [], "t": []}))
        # A page of the timeline from the middle of the history (a cursor a
        # host would hold): what a support screen scrolling back reads.
        cursor = rk.TimelineEntry(
            at=CLOCK_END.subtract(months=YEARS * 6), kind="points", ref="", summary=""
        )
        per_round = max(1, ops // ROUNDS)
        for round_no in range(-1, ROUNDS):  # round -1 warms every store up, untimed
            for subject in subjects:
                n = WARMUP if round_no < 0 else per_round
                first = 0 if round_no < 0 else WARMUP + round_no * per_round
                for kind in ("r", "p", "t"):
                    for i in range(first, first + n):
                        started = timer()
                        _step(subject, kind, i, cursor)
                        if round_no >= 0:
                            subject.times[kind].append(timer() - started)
        return [
            Result(
                backend.label,
                size,
                subject.history,
                statistics.median(subject.times["r"]),
                statistics.median(subject.times["p"]),
                statistics.median(subject.times["t"]),
            )
            for size, subject in zip(sizes, subjects, strict=True)
        ]


# -- report ---------------------------------------------------------------------------


def report(results: Sequence[Result], check: Check) -> None:
    """Print one line per backend and size, with ratios to the backend's smallest size."""
    rows: list[list[str]] = []
    for r in results:
        base = next(b for b in results if b.backend == r.backend)
        cells = [r.backend, fmt_int(r.history.entries), f"{r.history.seconds:.1f} s"]
        for name, ours, theirs in (
            ("redeem", r.redeem, base.redeem),
            ("purchase", r.purchase, base.purchase),
            ("timeline page", r.page, base.page),
        ):
            if r is base:
                cells += [fmt_us(ours), "1.00x", "-"]
                continue
            ratio = ours / theirs
            what = f"{r.backend} {name} at {r.history.entries:,} entries ({ratio:.2f}x)"
            cells += [fmt_us(ours), f"{ratio:.2f}x", check.verdict(what, ratio, TARGET)]
        rows.append(cells)
    header = (
        "backend",
        "entries",
        "build",
        "redeem/op",
        "ratio",
        "result",
        "purchase/op",
        "ratio",
        "result",
        f"page of {PAGE}",
        "ratio",
        "result",
    )
    print_table(header, rows)


def parse_sizes(text: str) -> tuple[int, ...]:
    """Parse ``10,1000,1e4`` (commas, underscores and ``_`` allowed) into sizes."""
    sizes = tuple(int(float(part.replace("_", ""))) for part in text.split(",") if part.strip())
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers")
    return tuple(sorted(set(sizes)))


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    """Parse the command line; return it and the backends to run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help=f"sizes {', '.join(f'{s:,}' for s in SIZES_QUICK)}"
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        help=f"comma-separated history sizes (default {','.join(str(s) for s in SIZES)})",
    )
    parser.add_argument("--ops", type=int, default=OPS, help=f"timed writes of each kind ({OPS})")
    parser.add_argument("--tiers", action="store_true", help="add two tiers over 365 days")
    add_common_options(parser, backends=("memory", "sqlite", "postgres"))
    args = parser.parse_args(argv)
    if args.ops < 1:
        parser.error("--ops must be at least 1")
    return args, selected_backends(args, parser, ("memory", "sqlite", "postgres"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    args, backends = parse_args(argv)
    sizes: tuple[int, ...] = args.sizes or (SIZES_QUICK if args.quick else SIZES)
    header_line(
        f"ledger scaling benchmark: {args.ops:,} redemptions of 1 point and {args.ops:,} "
        "purchases, each its own transaction, median per operation",
        timer_cpu=args.cpu,
    )
    print(
        "program: 1 point/EUR, pending 14 days, expiry after 365 days"
        + (", tiers silver 2,000 / gold 10,000 points over 365 days" if args.tiers else "")
        + f"; history over {YEARS} years, settled quarterly; sizes "
        + ", ".join(f"{s:,}" for s in sizes),
        flush=True,
    )
    check = Check()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="rk-scaling-") as tmp:
        for name in backends:
            backend = Backend(name, Path(tmp), postgres_url(args))
            measured = measure(backend, sizes, ops=args.ops, tiers=args.tiers, timer_cpu=args.cpu)
            for result in measured:
                results.append(result)
                print(
                    f"{backend.label}, {result.history.entries:,} entries "
                    f"({result.history.orders:,} orders, built in {result.history.seconds:.1f} s): "
                    f"redeem {fmt_us(result.redeem)}, purchase {fmt_us(result.purchase)}",
                    flush=True,
                )
    print()
    report(results, check)
    print(
        f"\ntarget: each size at most {TARGET}x the smallest ({sizes[0]:,} entries), "
        "per backend and operation"
    )
    return check.exit_code(args.check)


if __name__ == "__main__":
    raise SystemExit(main())

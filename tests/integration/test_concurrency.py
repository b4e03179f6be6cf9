"""Many writers on one account at once: processes on a SQLite file, connections on PostgreSQL.

Guards issue 3, item 5: redemptions never overspend, a webhook retry storm
records an order once, a key replayed by many workers at once takes effect
once, distinct concurrent credits are each kept, a busy database (SQLite's
busy timeout, PostgreSQL's lock timeout) never leaks a raw driver error,
and kits opening the same new database at once all find one set of tables.

Every scenario runs with real concurrency; the workers get their kits ready,
meet at a barrier, then all fire at once:

- SQLite: :data:`WORKERS` OS processes (``spawn``), each with a kit of its
  own (``rk.open("sqlite:///...")``) on the same file;
- PostgreSQL, ``own-kits``: :data:`THREADS` threads, each with a kit (so an
  engine and connections) of its own;
- PostgreSQL, ``shared-kit``: :data:`THREADS` threads sharing one kit whose
  engine pools a connection for each of them.

Spawning 20 interpreters costs several seconds of CPU, so the SQLite
scenarios share one pool of processes inside a single test (pytest-xdist
could otherwise spread them over its workers, each spawning a pool). Each
scenario has its own customer and idempotency keys, so they do not interact.

PostgreSQL runs when ``RELATIONKIT_TEST_POSTGRES_URL`` is set, under a table
prefix of the module's own, dropped afterwards.

The worker processes import this module by the name pytest gave it
(``spawn`` pickles the worker function by reference, and hands the parent's
``sys.path`` on), so it must stay importable under pytest's default
("prepend") import mode.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any, Literal, Protocol

import pendulum
import pytest
import sqlalchemy as sa

import relationkit as rk
from relationkit.errors import RelationKitError, StorageError

WORKERS = 20
"""Processes writing to the SQLite file at once."""

THREADS = 24
"""Connections writing to PostgreSQL at once."""

WAIT = 180.0
"""Seconds to wait for workers: generous, for a loaded two-core machine."""

ORDER_AT = pendulum.datetime(2026, 3, 1, 10, tz="Europe/Paris")
ORDER_TOTAL = "80.00"
ORDER_POINTS = 80
"""What ``ORDER_TOTAL`` earns under :func:`_program` (one point per whole euro)."""


def _program() -> rk.LoyaltyProgram:
    return rk.LoyaltyProgram(points_per_unit=1, currency="EUR")


# -- what a worker does ------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One worker's call.

    ``key`` is the idempotency key, the order id of a record, or the URL of
    the database an ``open`` opens.
    """

    op: Literal["redeem", "earn", "record", "open"]
    customer_id: str
    key: str
    points: int = 0


@dataclass(frozen=True)
class Failure:
    """An exception a worker met, reduced to what crosses a process boundary."""

    type: str
    relationkit: bool
    message: str

    @property
    def name(self) -> str:
        """The exception's class name."""
        return self.type.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Outcome:
    """A worker's result: the id its call returned, or how it failed."""

    value: str | None = None
    failure: Failure | None = None

    @property
    def label(self) -> str:
        """``"ok"`` or the exception's class name."""
        return "ok" if self.failure is None else self.failure.name


class _Barrier(Protocol):
    def wait(self, timeout: float | None = None) -> int: ...

    def abort(self) -> None: ...


def _failure(exc: BaseException) -> Failure:
    kind = type(exc)
    return Failure(
        type=f"{kind.__module__}.{kind.__qualname__}",
        relationkit=isinstance(exc, RelationKitError),
        message=str(exc),
    )


def _perform(kit: rk.RelationKit, job: Job) -> str:
    if job.op == "open":
        with rk.open(job.key, loyalty=_program()) as opened:
            return str(opened.customers.count())
    if job.op == "redeem":
        return kit.loyalty.redeem(job.customer_id, job.points, idempotency_key=job.key).id
    if job.op == "earn":
        return kit.loyalty.earn(
            job.customer_id, job.points, idempotency_key=job.key, reason="gift"
        ).id
    return kit.purchases.record(
        order_id=job.key,
        customer_id=job.customer_id,
        occurred_at=ORDER_AT,
        total=rk.Money(ORDER_TOTAL, "EUR"),
    ).id


def _attempt(get_kit: Callable[[], rk.RelationKit], job: Job, barrier: _Barrier) -> Outcome:
    """Get a kit ready, wait for every other worker, then run ``job`` at the same moment."""
    try:
        kit = get_kit()
    except Exception as exc:
        barrier.abort()  # the others would wait for us in vain
        return Outcome(failure=_failure(exc))
    try:
        barrier.wait(WAIT)
        return Outcome(value=_perform(kit, job))
    except Exception as exc:
        return Outcome(failure=_failure(exc))


def _open_retrying(url: str, options: dict[str, Any]) -> rk.RelationKit:
    """Open a kit as a host would: a store too busy to open now is tried again."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return rk.open(url, loyalty=_program(), **options)
        except StorageError:
            if attempt >= 50:
                raise
            time.sleep(0.05)


Task = tuple[str, dict[str, Any], Job]


def _serve(
    index: int,
    inbox: Queue[Task | None],
    outbox: Queue[tuple[int, Outcome | None]],
    barrier: _Barrier,
) -> None:
    """A worker process: run each job it is sent, until it is sent None.

    It opens one kit per database and options, on the first job for them,
    and keeps it for the next jobs.
    """
    kits: dict[str, rk.RelationKit] = {}

    def kit_for(url: str, options: dict[str, Any]) -> rk.RelationKit:
        key = repr((url, sorted(options.items())))
        if key not in kits:
            kits[key] = _open_retrying(url, options)
        return kits[key]

    outbox.put((index, None))  # imported and ready
    while True:
        task = inbox.get()
        if task is None:
            break
        url, options, job = task
        outcome = _attempt(functools.partial(kit_for, url, options), job, barrier)
        outbox.put((index, outcome))
    for kit in kits.values():
        kit.close()
    outbox.close()
    outbox.join_thread()
    # Skip the interpreter's slow teardown: there is nothing left to flush.
    os._exit(0)


class ProcessPool:
    """Spawned worker processes, each running :func:`_serve`."""

    def __init__(self, size: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.size = size
        self._barrier = ctx.Barrier(size)
        self._outbox: Queue[tuple[int, Outcome | None]] = ctx.Queue()
        self._inboxes: list[Queue[Task | None]] = [ctx.Queue() for _ in range(size)]
        self._processes = [
            ctx.Process(
                target=_serve,
                args=(i, self._inboxes[i], self._outbox, self._barrier),
                name=f"relationkit-concurrency-{i}",
                daemon=True,
            )
            for i in range(size)
        ]
        for process in self._processes:
            process.start()
        self._collect()

    def run(self, url: str, jobs: Sequence[Job], **options: Any) -> list[Outcome]:
        """Give one job to each process; return their outcomes in job order."""
        assert self.size == len(jobs)
        self._barrier.reset()
        for inbox, job in zip(self._inboxes, jobs, strict=True):
            inbox.put((url, options, job))
        answers = self._collect()
        return [outcome for _, outcome in sorted(answers) if outcome is not None]

    def _collect(self) -> list[tuple[int, Outcome | None]]:
        answers: list[tuple[int, Outcome | None]] = []
        deadline = time.monotonic() + WAIT
        while len(answers) < self.size:
            try:
                answers.append(self._outbox.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                dead = [p.name for p in self._processes if not p.is_alive()]
                raise AssertionError(
                    f"{len(answers)} of {self.size} worker processes answered in {WAIT:.0f} s;"
                    f" dead: {dead}"
                ) from None
        return answers

    def close(self) -> None:
        """Stop the processes: ask them, then terminate any that did not stop."""
        for inbox in self._inboxes:
            inbox.put(None)
        deadline = time.monotonic() + 30
        for process in self._processes:
            process.join(timeout=max(0.1, deadline - time.monotonic()))
        for process in self._processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=10)


@contextlib.contextmanager
def _process_pool(size: int) -> Iterator[ProcessPool]:
    pool = ProcessPool(size)
    try:
        yield pool
    finally:
        pool.close()


def _threads(jobs: Sequence[Job], kit_for: Callable[[int], rk.RelationKit]) -> list[Outcome]:
    """Run each job in a thread of its own, with the kit ``kit_for(index)``."""
    barrier = threading.Barrier(len(jobs))
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [
            pool.submit(_attempt, lambda i=i: kit_for(i), job, barrier)  # type: ignore[misc]
            for i, job in enumerate(jobs)
        ]
        return [f.result(timeout=WAIT) for f in futures]


# -- the scenarios -----------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """Concurrent calls on one customer's account, and what they must leave behind.

    ``jobs(who, tag, n)`` makes the ``n`` calls (``tag`` keeps keys and order
    ids apart from other scenarios on the same database); ``check(kit, who,
    tag, outcomes)`` asserts on their outcomes and on the stored result.
    """

    name: str
    seed: int
    jobs: Callable[[str, str, int], list[Job]]
    check: Callable[[rk.RelationKit, str, str, list[Outcome]], None]


def _labels(outcomes: Sequence[Outcome]) -> Counter[str]:
    return Counter(o.label for o in outcomes)


def _assert_no_raw_errors(outcomes: Sequence[Outcome]) -> None:
    """Every failure is a relationkit error, and none reports a locked database."""
    raw = [
        o.failure
        for o in outcomes
        if o.failure is not None
        and (not o.failure.relationkit or "database is locked" in o.failure.message)
    ]
    assert [] == raw


def _entries(kit: rk.RelationKit, who: str, kind: rk.EntryKind) -> list[rk.LedgerEntry]:
    return [e for e in kit.loyalty.history(who) if e.kind is kind]


def _values(outcomes: Sequence[Outcome]) -> list[str]:
    return sorted(o.value for o in outcomes if o.value is not None)


def _check_overspend(kit: rk.RelationKit, who: str, _tag: str, outcomes: list[Outcome]) -> None:
    _assert_no_raw_errors(outcomes)
    assert Counter({"ok": 10, "InsufficientPoints": len(outcomes) - 10}) == _labels(outcomes)
    assert 0 == kit.loyalty.balance(who)
    redeemed = _entries(kit, who, rk.EntryKind.REDEEM)
    assert _values(outcomes) == sorted(e.id for e in redeemed)
    assert [-10] * 10 == [e.points for e in redeemed]


def _check_storm(kit: rk.RelationKit, who: str, tag: str, outcomes: list[Outcome]) -> None:
    _assert_no_raw_errors(outcomes)
    assert Counter({"ok": len(outcomes)}) == _labels(outcomes)
    stored = kit.purchases.get(f"order-{tag}")
    assert {stored.id} == {o.value for o in outcomes}
    assert [stored] == kit.purchases.history(who)
    earned = _entries(kit, who, rk.EntryKind.EARN)
    assert [(f"order:order-{tag}", ORDER_POINTS)] == [(e.source, e.points) for e in earned]
    assert ORDER_POINTS == kit.loyalty.balance(who)


def _check_one_redemption(
    kit: rk.RelationKit, who: str, _tag: str, outcomes: list[Outcome]
) -> None:
    _assert_no_raw_errors(outcomes)
    assert Counter({"ok": len(outcomes)}) == _labels(outcomes)
    redeemed = _entries(kit, who, rk.EntryKind.REDEEM)
    assert [-10] == [e.points for e in redeemed]
    assert {redeemed[0].id} == {o.value for o in outcomes}
    assert 90 == kit.loyalty.balance(who)


def _check_one_gift(kit: rk.RelationKit, who: str, tag: str, outcomes: list[Outcome]) -> None:
    _assert_no_raw_errors(outcomes)
    assert Counter({"ok": len(outcomes)}) == _labels(outcomes)
    gifts = [e for e in _entries(kit, who, rk.EntryKind.EARN) if e.reason == "gift"]
    assert [(f"gift-{tag}", 100)] == [(e.idempotency_key, e.points) for e in gifts]
    assert {gifts[0].id} == {o.value for o in outcomes}
    assert 200 == kit.loyalty.balance(who)


def _check_every_gift(kit: rk.RelationKit, who: str, _tag: str, outcomes: list[Outcome]) -> None:
    _assert_no_raw_errors(outcomes)
    assert Counter({"ok": len(outcomes)}) == _labels(outcomes)
    gifts = [e for e in _entries(kit, who, rk.EntryKind.EARN) if e.reason == "gift"]
    assert _values(outcomes) == sorted(e.id for e in gifts)
    assert 100 + 100 * len(outcomes) == kit.loyalty.balance(who)


SCENARIOS = [
    # The lost update: every worker reading a balance of 100 before any of
    # them writes, so that 20 redemptions of 10 all succeed.
    Scenario(
        "redemptions-never-overspend",
        100,
        lambda who, tag, n: [Job("redeem", who, f"rw-{tag}-{i}", 10) for i in range(n)],
        _check_overspend,
    ),
    # A webhook retry storm: the order stored twice, its points earned twice,
    # or late deliveries failing with a raw unique violation.
    Scenario(
        "order-storm-records-once",
        0,
        lambda who, tag, n: [Job("record", who, f"order-{tag}") for _ in range(n)],
        _check_storm,
    ),
    # One redemption replayed by every worker: two transactions both finding
    # the key unused, or the losers failing instead of getting the result.
    Scenario(
        "one-key-redeems-once",
        100,
        lambda who, tag, n: [Job("redeem", who, f"rw-{tag}", 10) for _ in range(n)],
        _check_one_redemption,
    ),
    # "20 concurrent gifts from a 100-point balance crediting 2,000".
    Scenario(
        "one-key-gifts-credit-once",
        100,
        lambda who, tag, n: [Job("earn", who, f"gift-{tag}", 100) for _ in range(n)],
        _check_one_gift,
    ),
    # The opposite failure: distinct concurrent credits lost to a stale
    # read-modify-write of the balance.
    Scenario(
        "distinct-gifts-each-credit",
        100,
        lambda who, tag, n: [Job("earn", who, f"gift-{tag}-{i}", 100) for i in range(n)],
        _check_every_gift,
    ),
]


def _prepare(kit: rk.RelationKit, scenario: Scenario) -> tuple[str, str]:
    """Create the scenario's customer with its starting balance; return it and a tag."""
    tag = uuid.uuid4().hex[:8]
    who = kit.customers.create(email=f"{scenario.name}-{tag}@example.com").id
    if scenario.seed:
        kit.loyalty.earn(who, scenario.seed, idempotency_key=f"seed-{tag}")
    return who, tag


def _run_scenarios(
    kit: rk.RelationKit, run: Callable[[list[Job]], list[Outcome]], size: int
) -> list[str]:
    """Run every scenario; return a description of each one that failed."""
    failed: list[str] = []
    for scenario in SCENARIOS:
        who, tag = _prepare(kit, scenario)
        outcomes = run(scenario.jobs(who, tag, size))
        try:
            scenario.check(kit, who, tag, outcomes)
        except AssertionError as exc:
            failed.append(f"{scenario.name}: {exc}")
    return failed


# -- SQLite: processes ---------------------------------------------------------------


def test_processes_on_one_sqlite_file(tmp_path: Path) -> None:
    """Twenty processes at once on one SQLite file never overspend nor double-apply.

    First opens a new file from every process at once, then runs every
    scenario of :data:`SCENARIOS` (overspending redemptions, an order
    webhook storm, one key replayed by every process, one gift delivered
    twenty times, twenty distinct gifts), then one on a database too busy to
    wait for: each process waits 1 ms for the write lock and retries once,
    so many give up. Guards against two processes both
    creating the tables of a new file, lost updates across processes,
    ``sqlite3.OperationalError: database is locked`` escaping as a raw
    driver error, and a give-up that still wrote something.
    """
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    busy_url = f"sqlite:///{tmp_path / 'busy.db'}"
    with (
        rk.open(url, loyalty=_program()) as kit,
        rk.open(busy_url, loyalty=_program()) as busy_kit,
        _process_pool(WORKERS) as pool,
    ):
        # Every process opens the same new file at once: one of them switches
        # it to WAL and creates the tables, the others wait and find them.
        new_url = f"sqlite:///{tmp_path / 'new.db'}"
        opened = pool.run(url, [Job("open", "", new_url)] * pool.size)
        _assert_no_raw_errors(opened)
        assert Counter({"ok": pool.size}) == _labels(opened)

        failed = _run_scenarios(kit, lambda jobs: pool.run(url, jobs), pool.size)
        assert [] == failed
        assert () == kit.loyalty.verify().problems

        who = busy_kit.customers.create(email="busy@example.com").id
        busy_kit.loyalty.earn(who, 100, idempotency_key="seed")
        jobs = [Job("redeem", who, f"rw-{i}", 10) for i in range(pool.size)]

        outcomes = pool.run(busy_url, jobs, busy_timeout=0.001, retries=1)

        _assert_no_raw_errors(outcomes)
        labels = _labels(outcomes)
        assert set() == set(labels) - {"ok", "InsufficientPoints", "StorageError"}
        assert labels["ok"] <= 10
        redeemed = _entries(busy_kit, who, rk.EntryKind.REDEEM)
        assert _values(outcomes) == sorted(e.id for e in redeemed)
        assert 100 - 10 * labels["ok"] == busy_kit.loyalty.balance(who)
        assert () == busy_kit.loyalty.verify().problems


# -- PostgreSQL: connections ---------------------------------------------------------


@dataclass
class Postgres:
    """Tables under a prefix of the module's own, the test's kit, and one kit per thread."""

    url: str
    prefix: str
    kit: rk.RelationKit
    thread_kits: list[rk.RelationKit]


@pytest.fixture(scope="module")
def postgres(postgres_url: str) -> Iterator[Postgres]:
    """Kits on the PostgreSQL test server; the tables are dropped afterwards."""
    prefix = f"c{uuid.uuid4().hex[:8]}_"
    # A pooled connection for every thread when they share the test's kit.
    engine = sa.create_engine(postgres_url, pool_size=THREADS, max_overflow=0)
    kits: list[rk.RelationKit] = []
    try:
        kit = rk.open(engine=engine, table_prefix=prefix, loyalty=_program())
        kits.append(kit)
        for _ in range(THREADS):
            kits.append(rk.open(postgres_url, table_prefix=prefix, loyalty=_program()))
        yield Postgres(url=postgres_url, prefix=prefix, kit=kit, thread_kits=kits[1:])
    finally:
        for opened in kits:
            opened.close()
        metadata = sa.MetaData()
        metadata.reflect(engine, only=lambda name, _metadata: name.startswith(prefix))
        metadata.drop_all(engine)
        engine.dispose()


@pytest.mark.postgresql
@pytest.mark.parametrize("kits", ["own-kits", "shared-kit"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_connections_on_postgresql(postgres: Postgres, scenario: Scenario, kits: str) -> None:
    """Twenty-four connections at once on PostgreSQL never overspend nor double-apply.

    Each scenario of :data:`SCENARIOS` runs on threads with a kit (an
    engine) each, and on threads sharing one kit. Guards against lost
    updates between connections (a balance check without a row lock), a
    duplicate order or idempotency key surfacing as a raw unique violation
    or a deadlock instead of the stored result, and the shared kit mixing up
    its threads' transactions.
    """
    kit = postgres.kit
    who, tag = _prepare(kit, scenario)
    jobs = scenario.jobs(who, tag, THREADS)

    if kits == "own-kits":
        outcomes = _threads(jobs, lambda i: postgres.thread_kits[i])
    else:
        outcomes = _threads(jobs, lambda _i: kit)

    scenario.check(kit, who, tag, outcomes)
    assert () == kit.loyalty.verify(who).problems


@pytest.mark.postgresql
def test_lock_timeouts_on_postgresql_end_in_storage_error(postgres: Postgres) -> None:
    """Connections that cannot wait for the account's lock give up with StorageError.

    Every connection of the kit has ``lock_timeout = 1ms`` and the kit
    retries once, so many redemptions give up. Guards against psycopg's
    ``LockNotAvailable`` escaping as a raw driver error, and against a
    give-up that still wrote something.
    """
    kit = postgres.kit
    who, tag = _prepare(kit, SCENARIOS[0])
    jobs = SCENARIOS[0].jobs(who, tag, THREADS)
    impatient = rk.open(
        postgres.url,
        table_prefix=postgres.prefix,
        loyalty=_program(),
        retries=1,
        engine_options={
            "pool_size": THREADS,
            "max_overflow": 0,
            "connect_args": {"options": "-c lock_timeout=1ms"},
        },
    )
    try:
        outcomes = _threads(jobs, lambda _i: impatient)
    finally:
        impatient.close()

    _assert_no_raw_errors(outcomes)
    labels = _labels(outcomes)
    assert set() == set(labels) - {"ok", "InsufficientPoints", "StorageError"}
    assert labels["ok"] <= 10
    redeemed = _entries(kit, who, rk.EntryKind.REDEEM)
    assert _values(outcomes) == sorted(e.id for e in redeemed)
    assert 100 - 10 * labels["ok"] == kit.loyalty.balance(who)
    assert () == kit.loyalty.verify(who).problems


@pytest.mark.postgresql
def test_first_open_race_on_postgresql(postgres_url: str) -> None:
    """Twenty-four kits opening the same new tables at once all open them.

    Guards against two connections both finding the tables missing and the
    second CREATE TABLE failing, or the version row being written twice.
    """
    prefix = f"c{uuid.uuid4().hex[:8]}_"
    barrier = threading.Barrier(THREADS)

    def open_at_once(_index: int) -> Outcome:
        try:
            barrier.wait(WAIT)
            with rk.open(postgres_url, table_prefix=prefix) as kit:
                return Outcome(value=str(kit.customers.count()))
        except Exception as exc:
            return Outcome(failure=_failure(exc))

    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    try:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            outcomes = list(pool.map(open_at_once, range(THREADS)))
        _assert_no_raw_errors(outcomes)
        assert Counter({"ok": THREADS}) == _labels(outcomes)
        with engine.connect() as connection:
            versions = connection.exec_driver_sql(f'SELECT count(*) FROM "{prefix}meta"').scalar()
        assert 1 == versions
    finally:
        metadata = sa.MetaData()
        metadata.reflect(engine, only=lambda name, _metadata: name.startswith(prefix))
        metadata.drop_all(engine)
        engine.dispose()

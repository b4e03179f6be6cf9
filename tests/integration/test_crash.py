"""A fault at any SQL statement of a loyalty write leaves everything or nothing.

Guards issue 3, item 6. For each of earn, redeem, refund (with points to
reverse and points to give back) and ``process_due`` (with points to
activate, a lot to expire and a tier to change), on a SQLite file and on
PostgreSQL:

1. an uninjected run records the points where a fault can strike: every
   statement sent to the database and every COMMIT;
2. then, for each statement k in turn, on a fresh database set up the same
   way, the call is made with a fault raised at statement k, and

   - the call raises: the injected error itself, or a
     :class:`~relationkit.errors.StorageError` caused by it (never swallowed);
   - the database is exactly as before the call (every row of every table,
     and the public views: history, summary, account, purchases) when the
     fault came before the commit of the call's write transaction, and
     exactly as after an uninjected call when it came later
     (``process_due``'s final read);
   - the same call made again completes as the uninjected call did (same
     result, same balances, same ledger up to generated ids, ``verify()`` ok);
   - and once more, it is a replay: same result, not a row changed.

A second test strikes at the COMMIT of the write transaction itself; it is
an expected failure until the bug named in its reason is fixed.

Faults alternate between an ``OSError`` (a crash in the middle of the
work, not a driver error) at even points and a driver error
(``sqlite3.OperationalError`` / ``psycopg.OperationalError``) at odd points,
so both the untranslated and the translated path roll back.

The points are seen in two ways:

- ``sqlite`` and ``postgresql``: SQLAlchemy's ``before_cursor_execute`` and
  ``commit`` events on the engine (the commit event fires before the COMMIT
  is sent). A statement listener makes the SQLite store run everything
  through SQLAlchemy's execution;
- ``sqlite-dbapi``: a ``sqlite3`` connection (the engine's ``creator``) whose
  cursors report each statement and whose ``commit()`` reports the COMMIT.
  Nothing watches the engine, so the store takes its fast path on the
  driver's cursor, and a COMMIT's fault comes out of the driver's commit.

PostgreSQL runs when ``RELATIONKIT_TEST_POSTGRES_URL`` is set, under a table
prefix of the test's own (truncated between points, dropped afterwards).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pendulum
import psycopg
import pytest
import sqlalchemy as sa

import relationkit as rk
from relationkit.errors import StorageError
from relationkit.storage.sql import SqlStorage
from relationkit.storage.sql.sqlite import WRITE_OPTION

T0 = pendulum.datetime(2026, 1, 5, 9, tz="UTC")


# -- fault injection ---------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """A place where a fault can strike: a statement (its first words) or a COMMIT."""

    label: str
    write: bool


class Faults:
    """Count the points a call goes through; raise at the k-th one if armed.

    The points are reported by a hook: :meth:`listen` (SQLAlchemy's events
    on an engine) or :meth:`connect` (a DBAPI connection that reports its
    own statements and commits).
    """

    def __init__(self, driver_error: Callable[[str], Exception]) -> None:
        self._driver_error = driver_error
        self.active = False
        self.trace: list[Point] = []
        self.fail_at: int | None = None
        self.injected: Exception | None = None

    @contextmanager
    def watching(self, fail_at: int | None = None) -> Iterator[list[Point]]:
        """Record the points the block goes through; fault at ``fail_at``."""
        self.trace, self.fail_at, self.injected, self.active = [], fail_at, None, True
        try:
            yield self.trace
        finally:
            self.active = False

    def point(self, label: str, *, write: bool) -> None:
        """Record a point; raise the fault if it is the armed one."""
        if not self.active:
            return
        index = len(self.trace)
        self.trace.append(Point(label, write))
        if index == self.fail_at:
            self.fail_at = None
            error: Exception = (
                OSError(f"injected fault at point {index}")
                if index % 2 == 0
                else self._driver_error(f"injected fault at point {index}")
            )
            self.injected = error
            raise error

    def listen(self, engine: sa.Engine) -> None:
        """Hook SQLAlchemy's ``before_cursor_execute`` and ``commit`` events on ``engine``.

        A statement listener makes the store run everything through
        SQLAlchemy's execution (its direct path steps aside for observers).
        """

        def statement(conn: sa.Connection, _cursor: Any, sql: str, *_rest: Any) -> None:
            self.point(_label(sql), write=_writing(conn))

        def commit(conn: sa.Connection) -> None:
            self.point("COMMIT", write=_writing(conn))

        sa.event.listen(engine, "before_cursor_execute", statement)
        sa.event.listen(engine, "commit", commit)

    def connect(self, path: Path) -> _FaultyConnection:
        """Open a SQLite DBAPI connection that reports to this object (an engine's ``creator``).

        Nothing watches the engine, so the store takes whatever path it
        prefers (on SQLite, the driver's cursor directly); the fault comes
        from the driver's side, a COMMIT's fault from inside the commit call.
        """
        return _FaultyConnection(sqlite3.connect(path, check_same_thread=False), self)


def _label(sql: str) -> str:
    return " ".join(sql.split()[:3])


def _writing(conn: sa.Connection) -> bool:
    return bool(conn.get_execution_options().get(WRITE_OPTION))


class _FaultyCursor:
    """A DBAPI cursor that reports each statement before running it."""

    def __init__(self, cursor: sqlite3.Cursor, owner: _FaultyConnection) -> None:
        self._cursor = cursor
        self._owner = owner

    def execute(self, sql: str, parameters: Any = ()) -> _FaultyCursor:
        self._owner.statement(sql)
        self._cursor.execute(sql, parameters)
        return self

    def executemany(self, sql: str, parameters: Any) -> _FaultyCursor:
        self._owner.statement(sql)
        self._cursor.executemany(sql, parameters)
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class _FaultyConnection:
    """A ``sqlite3`` connection whose cursors and commits report to :class:`Faults`.

    It tells a write transaction from a read one by the BEGIN it sees.
    """

    def __init__(self, connection: sqlite3.Connection, faults: Faults) -> None:
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_faults", faults)
        object.__setattr__(self, "_write", False)

    def statement(self, sql: str) -> None:
        words = sql.split()
        if words and words[0].upper() == "BEGIN":
            object.__setattr__(self, "_write", len(words) > 1 and words[1].upper() == "IMMEDIATE")
        self._faults.point(_label(sql), write=self._write)

    def cursor(self, *args: Any) -> _FaultyCursor:
        return _FaultyCursor(self._connection.cursor(*args), self)

    def execute(self, sql: str, parameters: Any = ()) -> _FaultyCursor:
        return self.cursor().execute(sql, parameters)

    def commit(self) -> None:
        self._faults.point("COMMIT", write=self._write)
        self._connection.commit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._connection, name, value)


# -- a database, set up ------------------------------------------------------------


@dataclass
class World:
    """A kit on a fresh database, and the names the scenario gave to what it made."""

    kit: rk.RelationKit
    clock: rk.FrozenClock
    engine: sa.Engine
    faults: Faults
    people: dict[str, str] = field(default_factory=dict)
    orders: list[str] = field(default_factory=list)

    @property
    def storage(self) -> SqlStorage:
        """The kit's SQL store."""
        assert isinstance(self.kit.storage, SqlStorage)
        return self.kit.storage


class Backend(Protocol):
    """Hands out fresh databases, each with a kit on it."""

    def fresh(self, program: rk.LoyaltyProgram) -> World:
        """Return a kit on an empty database, with its clock at :data:`T0`."""
        ...


class SqliteBackend:
    """A new SQLite file (and engine) for every world.

    Args:
        directory: where the files go.
        hook: ``"events"`` (SQLAlchemy's statement events) or ``"dbapi"``
            (faults from the DBAPI connection; see :meth:`Faults.connect`).
    """

    def __init__(self, directory: Path, hook: str = "events") -> None:
        self._directory = directory
        self._hook = hook
        self._engines: list[sa.Engine] = []

    def fresh(self, program: rk.LoyaltyProgram) -> World:
        path = self._directory / f"crm-{len(self._engines)}.db"
        faults = Faults(sqlite3.OperationalError)
        if self._hook == "dbapi":
            # The URL still picks the pool and the file set-up (WAL); the
            # creator makes the connections.
            engine = sa.create_engine(f"sqlite:///{path}", creator=lambda: faults.connect(path))
        else:
            engine = sa.create_engine(f"sqlite:///{path}")
            faults.listen(engine)
        self._engines.append(engine)
        clock = rk.FrozenClock(T0)
        kit = rk.open(engine=engine, clock=clock, loyalty=program)
        return World(kit=kit, clock=clock, engine=engine, faults=faults)

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()


class PostgresBackend:
    """One engine and table prefix; the tables are emptied for every world."""

    def __init__(self, url: str) -> None:
        self._engine = sa.create_engine(url)
        self._faults = Faults(psycopg.OperationalError)
        self._faults.listen(self._engine)
        self._prefix = f"x{uuid.uuid4().hex[:8]}_"
        self._last: World | None = None

    def fresh(self, program: rk.LoyaltyProgram) -> World:
        if self._last is not None:
            self._last.kit.close()
            tables = [t for t in self._last.storage.tables.all if t.name != f"{self._prefix}meta"]
            names = ", ".join(f'"{t.name}"' for t in tables)
            with self._engine.begin() as connection:
                connection.exec_driver_sql(f"TRUNCATE TABLE {names} CASCADE")
        clock = rk.FrozenClock(T0)
        kit = rk.open(engine=self._engine, table_prefix=self._prefix, clock=clock, loyalty=program)
        self._last = World(kit=kit, clock=clock, engine=self._engine, faults=self._faults)
        return self._last

    def close(self) -> None:
        metadata = sa.MetaData()
        metadata.reflect(self._engine, only=lambda name, _meta: name.startswith(self._prefix))
        metadata.drop_all(self._engine)
        self._engine.dispose()


@pytest.fixture(
    params=["sqlite", "sqlite-dbapi", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """SQLite files (faults from SQLAlchemy's events, or from the driver), or PostgreSQL."""
    made: SqliteBackend | PostgresBackend
    if request.param == "sqlite":
        made = SqliteBackend(tmp_path, hook="events")
    elif request.param == "sqlite-dbapi":
        made = SqliteBackend(tmp_path, hook="dbapi")
    else:
        made = PostgresBackend(request.getfixturevalue("postgres_url"))
    try:
        yield made
    finally:
        made.close()


# -- the scenarios -----------------------------------------------------------------

TIERED = rk.LoyaltyProgram(
    points_per_unit=1,
    currency="EUR",
    expiry=rk.Expiry.after_days(90),
    tiers=(rk.Tier("silver", 150), rk.Tier("gold", 300)),
)
"""Earn, redeem and refund: lots that expire, and tiers the calls move."""

PENDING = rk.LoyaltyProgram(
    points_per_unit=1,
    currency="EUR",
    pending_days=14,
    expiry=rk.Expiry.after_days(30),
    tiers=(rk.Tier("silver", 50),),
)
"""process_due: pending points to activate, lots to expire, a tier to gain."""


@dataclass(frozen=True)
class Scenario:
    """A loyalty call, the program it runs under, and the state it starts from."""

    name: str
    program: rk.LoyaltyProgram
    setup: Callable[[World], None]
    act: Callable[[World], object]


def _customer(world: World, role: str) -> str:
    made = world.kit.customers.create(email=f"{role}@example.com", name=role.title())
    world.people[role] = made.id
    return made.id


def _order(world: World, order_id: str, who: str, total: str, points_used: int = 0) -> None:
    world.kit.purchases.record(
        order_id=order_id,
        customer_id=world.people[who],
        occurred_at=world.clock.now(),
        total=rk.Money(total, "EUR"),
        points_used=points_used,
    )
    world.orders.append(order_id)


def _setup_earn(world: World) -> None:
    alice = _customer(world, "alice")
    world.kit.loyalty.earn(alice, 50, idempotency_key="seed")
    world.clock.advance(days=1)


def _earn(world: World) -> object:
    # 50 + 120 earned: the account reaches silver in the same transaction.
    return world.kit.loyalty.earn(world.people["alice"], 120, idempotency_key="gift-1")


def _setup_redeem(world: World) -> None:
    alice = _customer(world, "alice")
    world.kit.loyalty.earn(alice, 100, idempotency_key="seed-1")
    world.clock.advance(days=3)
    world.kit.loyalty.earn(alice, 100, idempotency_key="seed-2")
    world.clock.advance(days=1)


def _redeem(world: World) -> object:
    # Takes all of the first lot and half of the second: two allocations.
    return world.kit.loyalty.redeem(world.people["alice"], 150, idempotency_key="rw-1")


def _setup_refund(world: World) -> None:
    alice = _customer(world, "alice")
    world.kit.loyalty.earn(alice, 100, idempotency_key="seed")
    # Earns 80 (180 in all: silver) and spends 30 points on the order.
    _order(world, "o-1", "alice", "80.00", points_used=30)
    world.clock.advance(days=2)


def _refund(world: World) -> object:
    # Half the order: 40 earned points reversed (silver lost), 15 points given back.
    return world.kit.purchases.refund("o-1", refund_id="r-1", amount=rk.Money("40.00", "EUR"))


def _setup_due(world: World) -> None:
    alice = _customer(world, "alice")
    _customer(world, "bob")
    world.kit.loyalty.earn(alice, 100, idempotency_key="seed")  # expires after 31 days
    _order(world, "o-1", "alice", "60.00")  # 60 pending for 14 days
    _order(world, "o-2", "bob", "50.00")  # 50 pending: silver once active
    world.clock.advance(days=40)


def _process_due(world: World) -> object:
    return world.kit.loyalty.process_due()


SCENARIOS = [
    Scenario("earn", TIERED, _setup_earn, _earn),
    Scenario("redeem", TIERED, _setup_redeem, _redeem),
    Scenario("refund", TIERED, _setup_refund, _refund),
    Scenario("process_due", PENDING, _setup_due, _process_due),
]


# -- snapshots ---------------------------------------------------------------------


def _rows(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every relationkit table, in primary key order."""
    with world.engine.connect() as connection:
        return {
            t.name: [
                tuple(r) for r in connection.execute(sa.select(t).order_by(*t.primary_key.columns))
            ]
            for t in world.storage.tables.all
        }


def _exact(world: World) -> tuple[object, ...]:
    """The database as rows, and as the public API shows it."""
    kit = world.kit
    public = [
        (kit.loyalty.history(who), kit.loyalty.summary(who), kit.accounts.get(who))
        for who in world.people.values()
    ]
    purchases = [kit.purchases.get(order) for order in world.orders]
    return (_rows(world), public, purchases)


def _normal(entries: list[rk.LedgerEntry]) -> list[tuple[object, ...]]:
    """Entries with their generated ids replaced by positions in the history."""
    position = {e.id: i for i, e in enumerate(entries)}

    def ref(entry_id: str | None) -> object:
        return None if entry_id is None else position.get(entry_id, "elsewhere")

    return [
        (
            e.kind,
            e.points,
            e.at,
            e.recorded_at,
            ref(e.lot_id),
            e.expires_at,
            e.available_at,
            e.source,
            e.reason,
            e.idempotency_key,
            tuple((ref(a.lot_id), a.points) for a in e.allocations),
            e.debt,
        )
        for e in entries
    ]


def _comparable(world: World) -> dict[str, object]:
    """What an uninjected run must match: everything but generated ids."""
    kit = world.kit
    view: dict[str, object] = {}
    for role, who in world.people.items():
        summary = kit.loyalty.summary(who)
        view[role] = (
            summary.balance,
            summary.pending,
            summary.expiring_soon,
            summary.debt,
            summary.tier,
            _normal(kit.loyalty.history(who)),
        )
    for order in world.orders:
        p = kit.purchases.get(order)
        view[order] = (p.total, p.lines, p.points_used, p.occurred_at, p.refunds)
    view["row counts"] = {name: len(rows) for name, rows in _rows(world).items()}
    view["problems"] = kit.loyalty.verify().problems
    return view


def _result(world: World, result: object) -> object:
    """A call's result with generated ids replaced by positions."""
    if isinstance(result, rk.LedgerEntry):
        history = world.kit.loyalty.history(result.account_id)
        index = [e.id for e in history].index(result.id)
        return index, _normal(history)[index]
    return result


def _raised(call: Callable[[], object]) -> Exception | None:
    try:
        call()
    except Exception as exc:
        return exc
    return None


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


# -- the tests ---------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What an uninjected run of a scenario went through and left behind."""

    points: list[Point]
    committed_at: int
    result: object
    state: dict[str, object]


def _uninjected(backend: Backend, scenario: Scenario) -> Expected:
    world = backend.fresh(scenario.program)
    scenario.setup(world)
    with world.faults.watching() as trace:
        result = scenario.act(world)
    points = list(trace)
    state = _comparable(world)
    assert () == state["problems"]
    return Expected(
        points=points,
        # Up to and including the write transaction's COMMIT a fault must undo
        # everything; after it (process_due's last read) the work is durable.
        committed_at=next(i for i, p in enumerate(points) if p.label == "COMMIT" and p.write),
        result=_result(world, result),
        state=state,
    )


def _fault_then_retry(backend: Backend, scenario: Scenario, expected: Expected, k: int) -> None:
    """Run the scenario with a fault at point ``k``, check, retry, check, replay, check."""
    where = f"{scenario.name}: fault at point {k} ({expected.points[k].label})"
    world = backend.fresh(scenario.program)
    scenario.setup(world)
    before = _exact(world)

    with world.faults.watching(fail_at=k):
        raised = _raised(lambda: scenario.act(world))

    assert raised is not None, f"{where}: the call did not fail"
    injected = world.faults.injected
    assert injected is not None, f"{where}: the fault was never raised"
    # Translated errors carry a cleaned copy of the driver error (its SQL
    # parameters hidden), so the fault is recognised by its message.
    assert any(str(injected) in str(e) for e in _chain(raised)), (
        f"{where}: {raised!r} does not come from the fault"
    )
    assert raised is injected or isinstance(raised, StorageError), f"{where}: {raised!r}"
    if k <= expected.committed_at:
        assert before == _exact(world), f"{where}: the failed call left changes"
    else:
        assert expected.state == _comparable(world), f"{where}: the committed work is incomplete"

    retried = scenario.act(world)
    if k <= expected.committed_at:
        assert expected.result == _result(world, retried), where
    assert expected.state == _comparable(world), where

    settled = _exact(world)
    replayed = scenario.act(world)
    if isinstance(retried, rk.DueResult):
        assert rk.DueResult() == replayed, where
    else:
        assert retried == replayed, where
    assert settled == _exact(world), f"{where}: the replay changed something"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_fault_at_every_statement_leaves_all_or_nothing(
    backend: Backend, scenario: Scenario
) -> None:
    """A fault at any SQL statement undoes the whole call, and the retry completes.

    Guards against a half-written ledger (an entry without its allocations,
    a debit without its idempotency record, a refund whose points were not
    reversed, an account row updated without the entries behind it), an
    error swallowed while the work was lost, and an idempotency record left
    behind by a failed attempt that would turn the retry into a replay of
    nothing.
    """
    expected = _uninjected(backend, scenario)
    statements = [k for k, p in enumerate(expected.points) if p.label != "COMMIT"]
    assert len(statements) >= 5  # the call really talks to the database

    for k in statements:
        _fault_then_retry(backend, scenario, expected, k)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_fault_at_commit_leaves_nothing(backend: Backend, scenario: Scenario) -> None:
    """A fault raised as the write transaction commits undoes the whole call.

    The fault strikes in SQLAlchemy's ``commit`` event, before the COMMIT
    reaches the database (as a signal or a host's own commit listener
    would), or inside the driver's ``commit()`` (``sqlite-dbapi``: as a busy
    or full disk would). Guards against the failed transaction living on in
    the pooled connection: holding SQLite's write lock, or being committed
    on PostgreSQL by whatever runs next on that connection, after the
    caller was told the call failed.
    """
    expected = _uninjected(backend, scenario)

    _fault_then_retry(backend, scenario, expected, expected.committed_at)


def test_scenarios_reach_what_they_are_meant_to(tmp_path: Path) -> None:
    """The crash scenarios do what their fault points are meant to cover.

    Guards against a scenario quietly drifting into a no-op (nothing to
    activate, no tier to change, no points to reverse), which would make
    the fault injection above prove little.
    """
    backend = SqliteBackend(tmp_path)
    try:
        outcomes = {}
        for scenario in SCENARIOS:
            world = backend.fresh(scenario.program)
            scenario.setup(world)
            outcomes[scenario.name] = (scenario.act(world), world)
    finally:
        backend.close()

    earned, world = outcomes["earn"]
    assert isinstance(earned, rk.LedgerEntry)
    assert "silver" == world.kit.loyalty.tier(world.people["alice"])

    redeemed, _ = outcomes["redeem"]
    assert isinstance(redeemed, rk.LedgerEntry)
    assert [100, 50] == [a.points for a in redeemed.allocations]

    _, world = outcomes["refund"]
    alice = world.people["alice"]
    kinds = [(e.kind, e.points) for e in world.kit.loyalty.history(alice)][-2:]
    assert [(rk.EntryKind.REVERSE, -40), (rk.EntryKind.REVERSE, 15)] == kinds
    assert world.kit.loyalty.tier(alice) is None

    due, _ = outcomes["process_due"]
    assert rk.DueResult(accounts=2, activated=110, expired=100, tier_changes=1) == due

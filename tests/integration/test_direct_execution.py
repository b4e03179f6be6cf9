"""The direct path of the SQL backend gives what ``Connection.execute`` gives.

Each comparison runs the same statement on one connection through two
executors: one whose :class:`DirectStatements` has prepared it (so it runs
on the DB-API cursor) and one without (SQLAlchemy's path). Both must return
the same rows (values, their types, names), rowcounts and errors; a listener,
SQL logging or a host's ``schema_translate_map`` must be honoured; a
disconnect must invalidate the connection.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from relationkit.errors import DanglingReference, DuplicateKey, StorageError, TransientStorageError
from relationkit.storage.sql import direct as direct_module
from relationkit.storage.sql.decimals import DecimalText
from relationkit.storage.sql.direct import DirectStatements
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.queries.inserts import BulkInsert
from relationkit.storage.sql.translate import Translator
from relationkit.storage.sql.types import UtcDateTime, json_type, key_type

from .test_sql_store import Backend, _open_backend, account, customer, write

T0 = pendulum.datetime(2026, 1, 1, tz="UTC")


class Recorded(DirectStatements):
    """DirectStatements that records, per call, whether it ran the statement itself."""

    def __init__(self) -> None:
        super().__init__()
        self.handled: list[bool] = []

    def rows(self, connection: sa.Connection, statement: object, params: Any) -> Any:
        found = super().rows(connection, statement, params)
        self.handled.append(found is not None)
        return found

    def write(self, connection: sa.Connection, statement: object, params: Any) -> Any:
        found = super().write(connection, statement, params)
        self.handled.append(found is not None)
        return found

    def insert(self, connection: sa.Connection, bulk: BulkInsert, rows: Any) -> bool:
        found = super().insert(connection, bulk, rows)
        self.handled.append(found)
        return found


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A SQLite file, or the PostgreSQL test server, with a fresh table prefix."""
    with _open_backend(request.param, tmp_path) as opened:
        yield opened


def _values_table(backend: Backend) -> sa.Table:
    """A table with every column type the store uses, and a few generic ones."""
    meta = sa.MetaData()
    parent = sa.Table(
        f"{backend.prefix}parents", meta, sa.Column("id", sa.Integer, primary_key=True)
    )
    table = sa.Table(
        f"{backend.prefix}values",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey(parent.c.id), nullable=True),
        sa.Column("k", key_type(40), unique=True, nullable=True),
        sa.Column("at", UtcDateTime(), nullable=True),
        sa.Column("naive", sa.DateTime(), nullable=True),
        sa.Column("big", sa.BigInteger, nullable=True),
        sa.Column("flag", sa.Boolean(create_constraint=False), nullable=True),
        sa.Column("text", sa.String(200), nullable=True),
        sa.Column("doc", json_type(), nullable=True),
        sa.Column("rate", DecimalText(), nullable=True),
        sa.Column("amount", sa.Numeric(14, 4), nullable=True),
        sa.Column("ratio", sa.Float, nullable=True),
    )
    meta.create_all(backend.engine)
    with backend.engine.begin() as conn:
        conn.execute(parent.insert(), [{"id": 1}, {"id": 2}])
    return table


@contextmanager
def paths(engine: sa.Engine) -> Iterator[tuple[Executor, Executor, Recorded]]:
    """Yield a direct and a SQLAlchemy executor on one connection, in a transaction rolled back."""
    translate = Translator({}, {}, getattr(engine.dialect.loaded_dbapi, "Error", None))
    direct = Recorded()
    with engine.connect() as conn:
        tx = conn.begin()
        try:
            yield (
                Executor(conn, translate, writable=True, direct=direct),
                Executor(conn, translate, writable=True),
                direct,
            )
        finally:
            tx.rollback()


def _typed(rows: Any) -> list[list[tuple[type, Any]]]:
    return [[(type(v), v) for v in row] for row in rows]


def _same_rows(fast: Executor, slow: Executor, stmt: Any, params: Any = None) -> Any:
    """Return the rows of ``stmt``; fail unless both paths give the same values, types, names."""
    fast.rows(stmt, params)  # the first sighting goes through SQLAlchemy
    direct = fast.rows(stmt, params)
    reference = slow.rows(stmt, params)
    assert _typed(reference) == _typed(direct)
    assert [r._fields for r in reference] == [r._fields for r in direct]
    assert [r._asdict() for r in reference] == [r._asdict() for r in direct]
    return direct


# -- rows and rowcounts -----------------------------------------------------------------


def test_store_statements_give_identical_rows(backend: Backend) -> None:
    """The store's own SELECTs: same rows, value types and field names on both paths."""
    store = backend.open()
    write(store, lambda u: u.accounts.add_many([account(1), account(2)]))
    people = [customer(1, "acc_0001", email="a@example.com"), customer(2, "acc_0001")]
    write(store, lambda u: u.customers.add_many(people))
    s = store._statements
    with paths(store.engine) as (fast, slow, direct):
        found = _same_rows(fast, slow, s.account, {"id": "acc_0001"})
        assert "acc_0001" == found[0].id
        _same_rows(fast, slow, s.customers_of_account, {"account_id": "acc_0001"})
        _same_rows(fast, slow, s.customer_by_email, {"email_key": "a@example.com"})
        _same_rows(fast, slow, s.account_ids_after, {"after": "acc_0000", "limit": 5})
        _same_rows(fast, slow, s.count_rows["customers"])
        _same_rows(fast, slow, s.account, {"id": "missing"})
        assert [False, True] * 5 + [True, True] == direct.handled  # s.account: prepared
        assert 2 == fast.scalar(s.count_rows["customers"])


def test_writes_give_identical_rowcounts(backend: Backend) -> None:
    """UPDATE (one set, executemany, no match), upsert and DELETE: the same rowcounts."""
    table = _values_table(backend)
    dialect = backend.engine.dialect.name
    insert: Any = (pg_dialect if dialect == "postgresql" else sqlite_dialect).insert(table)
    upsert = insert.on_conflict_do_update(
        index_elements=[table.c.id], set_={"text": insert.excluded.text}
    )
    update = table.update().where(table.c.id == sa.bindparam("b_id")).values(text=sa.bindparam("t"))
    delete = table.delete().where(table.c.big == sa.bindparam("big"))
    rows = [{"id": i, "text": f"v{i}", "big": i % 2} for i in range(1, 5)]
    counts = []
    with paths(backend.engine) as (fast, slow, direct):
        for executor in (fast, fast, slow):
            counts.append(
                [
                    executor.write(upsert, rows[0]),
                    executor.write(upsert, rows[1:]),
                    executor.write(update, {"b_id": 1, "t": "x"}),
                    executor.write(update, [{"b_id": 1, "t": "y"}, {"b_id": 2, "t": "y"}]),
                    executor.write(update, {"b_id": 99, "t": "z"}),
                    executor.write(delete, {"big": 1}),
                    executor.write(delete, [{"big": 0}, {"big": 7}]),
                ]
            )
        # The first run: each statement and shape seen once (the UPDATE of one
        # row is prepared at its second run); then every call runs directly.
        assert [False] * 4 + [True] + [False] * 2 + [True] * 7 == direct.handled
    assert counts[2] == counts[1] == counts[0]
    # An INSERT's rowcount is the driver's after SQLAlchemy closed the cursor.
    inserted = [1, 3] if dialect == "sqlite" else [-1, -1]
    assert [*inserted, 1, 2, 0, 2, 2] == counts[1]


def test_returning_gives_identical_rows(backend: Backend) -> None:
    """INSERT and UPDATE ... RETURNING read through rows(): the same rows on both paths."""
    table = _values_table(backend)
    insert = table.insert().returning(table.c.id, table.c.at, table.c.doc)
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("b_id"))
        .values(at=sa.bindparam("b_at", type_=table.c.at.type))
        .returning(table.c.id, table.c.at)
    )
    with paths(backend.engine) as (fast, slow, direct):
        made = [
            executor.rows(insert, {"id": i, "at": T0.add(days=i), "doc": {"n": i}})
            for i, executor in enumerate((fast, fast, slow))
        ]
        assert [(i, T0.add(days=i), {"n": i}) for i in range(3)] == [tuple(m[0]) for m in made]
        assert [type(v) for v in made[2][0]] == [type(v) for v in made[1][0]]
        assert made[2][0]._fields == made[1][0]._fields
        fast.rows(update, {"b_id": 0, "b_at": T0})
        _same_rows(fast, slow, update, {"b_id": 1, "b_at": T0})
        assert [False, True, False, True, True] == direct.handled


def test_bulk_inserts_give_identical_rows(backend: Backend) -> None:
    """BulkInsert (one row and an executemany) stores what SQLAlchemy's path stores."""
    table = _values_table(backend)
    bulk = BulkInsert(table)

    def rows(start: int, n: int) -> list[dict[str, Any]]:
        return [
            {c.key: None for c in table.columns}
            | {"id": i, "at": T0.add(seconds=i % 100), "doc": [i % 100], "rate": Decimal("0.25")}
            for i in range(start, start + n)
        ]

    with paths(backend.engine) as (fast, slow, direct):
        fast.insert(bulk, rows(0, 1))  # seen once: SQLAlchemy's path
        fast.insert(bulk, rows(10, 1))
        fast.insert(bulk, rows(20, 3))
        slow.insert(bulk, rows(110, 1))
        slow.insert(bulk, rows(120, 3))
        stored = {r.id: tuple(r)[1:] for r in slow.rows(sa.select(table))}
        assert [False, True, True] == direct.handled
    reference = [stored[i] for i in (110, 120, 121, 122)]
    assert _typed(reference) == _typed([stored[i] for i in (10, 20, 21, 22)])
    assert (T0.add(seconds=20), [20]) == (stored[120][2], stored[120][7])


# -- every column type, random values ---------------------------------------------------

_TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30
)
_INSTANTS = st.datetimes(
    min_value=dt.datetime(1900, 1, 1),
    max_value=dt.datetime(2200, 1, 1),
    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30))]),
)
_VALUES = st.fixed_dictionaries(
    {
        "k": st.none() | st.text("abcdefghij0123456789_", min_size=1, max_size=40),
        "at": st.none() | _INSTANTS,
        "naive": st.none() | st.datetimes(min_value=dt.datetime(1900, 1, 1)),
        "big": st.none() | st.integers(-(2**63), 2**63 - 1),
        "flag": st.none() | st.booleans(),
        "text": st.none() | _TEXT,
        "doc": st.none() | st.dictionaries(_TEXT, st.integers(-(2**31), 2**31) | _TEXT, max_size=3),
        "rate": st.none()
        | st.decimals(
            allow_nan=False, allow_infinity=False, places=6, max_value=10**6, min_value=-(10**6)
        ),
        "amount": st.none()
        | st.decimals(
            allow_nan=False, allow_infinity=False, places=4, max_value=10**9, min_value=-(10**9)
        ),
        "ratio": st.none() | st.floats(allow_nan=False, allow_infinity=False, width=32),
    }
)


def test_every_column_type_round_trips_identically(backend: Backend) -> None:
    """Random values in every column: stored and read back alike on both paths."""
    table = _values_table(backend)
    insert = table.insert()
    select = sa.select(table).where(table.c.id == sa.bindparam("id"))
    numbers = iter(range(0, 10**6, 3))

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(values=_VALUES)
    def check(values: dict[str, Any]) -> None:
        n = next(numbers)
        with paths(backend.engine) as (fast, slow, direct):
            fast.write(insert, {**values, "k": None, "id": n + 2})  # seen once
            fast.write(insert, {**values, "id": n})
            slow.write(insert, {**values, "k": None, "id": n + 1})
            fast.rows(select, {"id": n + 2})  # seen once
            by_fast = [fast.rows(select, {"id": i}) for i in (n, n + 1)]
            by_slow = [slow.rows(select, {"id": i}) for i in (n, n + 1)]
            assert [False, True, False, True, True] == direct.handled
        assert [_typed(rows) for rows in by_slow] == [_typed(rows) for rows in by_fast]
        # Written by the direct path or by SQLAlchemy's: the same stored values.
        assert _typed([by_slow[0][0][3:]]) == _typed([by_slow[1][0][3:]])

    check()


# -- errors -----------------------------------------------------------------------------


def _failure(executor: Executor, work: Any) -> tuple[type, str, type, str]:
    """Return what ``work`` raises: the error's class and text, its cause's class and text."""
    with pytest.raises(StorageError) as raised, executor.savepoint():
        work()
    cause = raised.value.__cause__
    return (type(raised.value), str(raised.value), type(cause), str(cause))


def test_errors_are_translated_identically(backend: Backend) -> None:
    """Unique and foreign key violations, a refused value: the same errors on both paths."""
    backend.open()  # the store's SQLite set-up (foreign keys on) on the engine
    table = _values_table(backend)
    insert = table.insert()
    bulk = BulkInsert(table)
    blank = {c.key: None for c in table.columns}
    secret = "secret.person@example.com"

    def attempts(x: Executor) -> list[tuple[type, str, type, str]]:
        return [
            _failure(x, lambda: x.write(insert, {"id": 10, "k": secret})),
            _failure(x, lambda: x.write(insert, {"id": 11, "parent_id": 9}, dangling="parent")),
            _failure(x, lambda: x.insert(bulk, [{**blank, "id": 1}])),
            _failure(x, lambda: x.write(insert, {"id": 12, "at": dt.datetime(2026, 1, 1)})),
        ]

    with paths(backend.engine) as (fast, slow, direct):
        for i in (1, 2):  # the second of each shape runs directly
            fast.write(insert, {"id": i, "k": secret if i == 1 else "other"})
            fast.write(insert, {"id": i + 2, "parent_id": i})
            fast.insert(bulk, [{**blank, "id": i + 4}])
            fast.write(insert, {"id": i + 6, "at": T0})
        by_fast = attempts(fast)
        by_slow = attempts(slow)
        # The refused naive datetime is never sent: SQLAlchemy's path raises it.
        assert [False] * 4 + [True] * 4 + [False] == direct.handled
    assert by_slow == by_fast
    assert [DuplicateKey, DanglingReference, DuplicateKey, StorageError] == [f[0] for f in by_fast]
    assert all(secret not in text for failure in by_fast for text in failure[1::2])


# -- what keeps a statement on SQLAlchemy's path ------------------------------------------


def _listen_engine(engine: sa.Engine, seen: list[str]) -> Any:
    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    return lambda: sa.event.remove(engine, "before_cursor_execute", record)


def _listen_handle_error(engine: sa.Engine, _seen: list[str]) -> Any:
    def failed(_context: Any) -> None:
        return None

    sa.event.listen(engine, "handle_error", failed)
    return lambda: sa.event.remove(engine, "handle_error", failed)


def _log_sql(_engine: sa.Engine, _seen: list[str]) -> Any:
    logger = logging.getLogger("sqlalchemy.engine")
    before = logger.level
    logger.setLevel(logging.INFO)
    return lambda: logger.setLevel(before)


@pytest.mark.parametrize("observer", [_listen_engine, _listen_handle_error, _log_sql])
def test_an_observer_keeps_statements_on_sqlalchemys_path(backend: Backend, observer: Any) -> None:
    """A cursor listener, a handle_error listener or SQL logging: nothing runs directly."""
    store = backend.open()
    write(store, lambda u: u.accounts.add_many([account(1)]))
    stmt = store._statements.account
    with paths(backend.engine) as (fast, _slow, direct):
        fast.rows(stmt, {"id": "acc_0001"})
        fast.rows(stmt, {"id": "acc_0001"})
        seen: list[str] = []
        stop = observer(backend.engine, seen)
        try:
            watched = fast.rows(stmt, {"id": "acc_0001"})
        finally:
            stop()
        fast.rows(stmt, {"id": "acc_0001"})
        assert [False, True, False, True] == direct.handled
    assert ["acc_0001"] == [r.id for r in watched]
    assert (1 if observer is _listen_engine else 0) == len(seen)


def test_a_connection_listener_sees_every_statement(backend: Backend) -> None:
    """A listener on the connection itself (not the engine) sees the prepared statements."""
    store = backend.open()
    write(store, lambda u: u.accounts.add_many([account(1)]))
    stmt = store._statements.account
    seen: list[str] = []
    with paths(backend.engine) as (fast, _slow, direct):
        fast.rows(stmt, {"id": "acc_0001"})
        fast.rows(stmt, {"id": "acc_0001"})
        sa.event.listen(fast.connection, "after_cursor_execute", lambda *a: seen.append(a[2]))
        fast.rows(stmt, {"id": "acc_0001"})
        assert [False, True, False] == direct.handled
    assert 1 == len(seen)


def test_schema_translate_map_is_part_of_the_plan(tmp_path: Path) -> None:
    """One statement on a mapped and an unmapped connection: each reaches its own schema."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'main.db'}")
    other = tmp_path / "crm.db"

    @sa.event.listens_for(engine, "connect")
    def attach(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"ATTACH DATABASE '{other}' AS crm")

    meta = sa.MetaData()
    table = sa.Table(
        "t", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.String)
    )
    mapped = engine.execution_options(schema_translate_map={None: "crm"})
    for target in (engine, mapped):
        meta.create_all(target)
    translate = Translator({}, {}, None)
    direct = Recorded()
    insert = table.insert()
    select = sa.select(table.c.v).order_by(table.c.id)
    found = {}
    for name, target in (("main", engine), ("crm", mapped)):
        with target.connect() as conn, conn.begin():
            x = Executor(conn, translate, writable=True, direct=direct)
            for i in range(3):
                x.write(insert, {"id": i, "v": f"{name}{i}"})
            found[name] = [x.rows(select) for _ in range(2)]
    assert [r.v for r in found["main"][1]] == ["main0", "main1", "main2"]
    assert [r.v for r in found["crm"][1]] == ["crm0", "crm1", "crm2"]
    assert [False, True, True, False, True] * 2 == direct.handled
    engine.dispose()


# -- disconnects ----------------------------------------------------------------------------


def test_a_disconnect_invalidates_the_connection(backend: Backend, monkeypatch: Any) -> None:
    """A disconnect (as the dialect says): transient; the connection and the pool invalidated."""
    table = _values_table(backend)
    insert = table.insert()
    with paths(backend.engine) as (fast, _slow, direct):
        fast.write(insert, {"id": 1, "k": "a"})
        fast.write(insert, {"id": 2, "k": "b"})
        before = backend.engine.pool._invalidate_time
        monkeypatch.setattr(backend.engine.dialect, "is_disconnect", lambda *_a: True)
        with pytest.raises(TransientStorageError) as raised:
            fast.write(insert, {"id": 3, "k": "a"})
        monkeypatch.undo()
        assert [False, True] == direct.handled
        assert fast.connection.invalidated
        assert isinstance(raised.value.__cause__, sa.exc.DBAPIError)
        assert raised.value.__cause__.connection_invalidated
        assert before < backend.engine.pool._invalidate_time
    with backend.engine.connect() as conn, conn.begin():
        # A new connection, and the failed one's locks are gone: it can write.
        conn.execute(table.insert(), {"id": 3, "k": "c"})
        assert 1 == conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


@pytest.mark.postgresql
def test_a_terminated_backend_is_transient_on_the_direct_path(tmp_path: Path) -> None:
    """pg_terminate_backend under a prepared statement: transient; the next transaction works."""
    with _open_backend("postgresql", tmp_path) as backend:
        store = backend.open()
        killer = sa.create_engine(backend.url, poolclass=sa.pool.NullPool)
        try:
            write(store, lambda u: u.accounts.add_many([account(1)]))
            get = store._statements.account
            with paths(backend.engine) as (fast, _slow, direct):
                fast.rows(get, {"id": "acc_0001"})
                fast.rows(get, {"id": "acc_0001"})
                pid = fast.scalar(sa.text("SELECT pg_backend_pid()"))
                with killer.begin() as other:
                    other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
                with pytest.raises(TransientStorageError):
                    fast.rows(get, {"id": "acc_0001"})
                assert [False, True, False] == direct.handled
                assert fast.connection.invalidated
        finally:
            killer.dispose()
        # The pool hands out a live connection: the store's next transactions work.
        for _ in range(3):
            assert ["acc_0001"] == list(write(store, lambda u: u.accounts.get_many(["acc_0001"])))


# -- the cache ----------------------------------------------------------------------------


def test_the_cache_stays_bounded_and_compiles_only_repeats(tmp_path: Path) -> None:
    """Statements seen once are never compiled; many repeated ones never pass the limit."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    translate = Translator({}, {}, None)
    direct = DirectStatements()
    with engine.connect() as conn, conn.begin():
        x = Executor(conn, translate, writable=True, direct=direct)
        for i in range(direct_module.LIMIT + 40):
            x.rows(sa.select(sa.literal(i).label("n")))
        assert 0 == len(direct)
        for i in range(direct_module.LIMIT + 40):
            stmt = sa.select(sa.literal(i).label("n"))
            assert [(i,)] == [tuple(r) for r in x.rows(stmt)] == [tuple(r) for r in x.rows(stmt)]
        assert 0 < len(direct) <= direct_module.LIMIT
    engine.dispose()


def test_threads_share_prepared_statements(tmp_path: Path) -> None:
    """Four threads running the same prepared statements get each their own right rows."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    translate = Translator({}, {}, None)
    direct = Recorded()
    stmt = sa.select(sa.bindparam("v", type_=sa.Integer).label("v"))
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with engine.connect() as conn, conn.begin():
                x = Executor(conn, translate, writable=False, direct=direct)
                for i in range(200):
                    assert [(n * 1000 + i,)] == [
                        tuple(r) for r in x.rows(stmt, {"v": n * 1000 + i})
                    ]
        except BaseException as e:
            failures.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [] == failures
    assert 4 * 200 == len(direct.handled)
    assert 4 * 200 - 4 <= sum(direct.handled)
    engine.dispose()

"""The direct path steps aside, or fails, exactly as SQLAlchemy's would.

Errors are translated identically on both paths; a listener, SQL logging
or a ``handle_error`` hook keeps statements on SQLAlchemy's path; a host's
``schema_translate_map`` is compiled into the plan; a disconnect
invalidates the connection; the cache stays bounded and is shared by
threads.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from relationkit.errors import DanglingReference, DuplicateKey, StorageError, TransientStorageError
from relationkit.storage.sql import direct as direct_module
from relationkit.storage.sql.direct import DirectStatements
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.queries.inserts import BulkInsert
from relationkit.storage.sql.translate import Translator

from ._direct_support import T0, Recorded, paths, values_table
from ._direct_support import backend as backend  # the fixture
from .test_sql_store import Backend, _open_backend, account, write


def _failure(executor: Executor, work: Any) -> tuple[type, str, type, str]:
    """Return what ``work`` raises: the error's class and text, its cause's class and text."""
    with pytest.raises(StorageError) as raised, executor.savepoint():
        work()
    cause = raised.value.__cause__
    return (type(raised.value), str(raised.value), type(cause), str(cause))


def test_errors_are_translated_identically(backend: Backend) -> None:
    """Unique and foreign key violations, a refused value: the same errors on both paths."""
    backend.open()  # the store's SQLite set-up (foreign keys on) on the engine
    table = values_table(backend)
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
    table = values_table(backend)
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

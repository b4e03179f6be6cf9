"""Opening a SQL store: tables are created only in an empty store, never repaired.

Each damage below once went unnoticed or was silently "repaired" at the next
open (defect 8): the open must now refuse with ``SchemaMismatch`` listing
what is missing, and create nothing. Set-up failures are StorageErrors,
never raw SQLAlchemy errors. SQLite file and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import relationkit as rk
from relationkit.errors import SchemaMismatch, StorageError
from relationkit.storage.sql import SCHEMA_VERSION, SqlStorage

from .test_sql_store import Backend, _open_backend, account, write


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A SQLite file, or the PostgreSQL test server, with a fresh table prefix."""
    with _open_backend(request.param, tmp_path) as opened:
        yield opened


def _tables(backend: Backend) -> set[str]:
    names = sa.inspect(backend.engine).get_table_names()
    return {n for n in names if n.startswith(backend.prefix)}


def _drop_table(name: str) -> Callable[[Backend, sa.Connection], None]:
    def damage(backend: Backend, conn: sa.Connection) -> None:
        conn.exec_driver_sql(f"DROP TABLE {backend.prefix}{name}")

    return damage


def _delete_meta_row(backend: Backend, conn: sa.Connection) -> None:
    conn.exec_driver_sql(f"DELETE FROM {backend.prefix}meta")


def _drop_unique(backend: Backend, conn: sa.Connection) -> None:
    """Remove the (account_id, seq) rule of the ledger (SQLite: rebuild the table without it)."""
    table = f"{backend.prefix}ledger_entries"
    name = f"uq_{table}_account_id_seq"
    if backend.name == "postgresql":
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        return
    sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE name = ?", (table,)
    ).scalar_one()
    cut = sql.replace(f", \n\tCONSTRAINT {name} UNIQUE (account_id, seq)", "")
    assert cut != sql
    conn.exec_driver_sql(cut.replace(f"CREATE TABLE {table}", f"CREATE TABLE new_{table}", 1))
    conn.exec_driver_sql(f"INSERT INTO new_{table} SELECT * FROM {table}")
    conn.exec_driver_sql(f"DROP TABLE {table}")
    conn.exec_driver_sql(f"ALTER TABLE new_{table} RENAME TO {table}")


def _drop_column(backend: Backend, conn: sa.Connection) -> None:
    conn.exec_driver_sql(f"ALTER TABLE {backend.prefix}accounts DROP COLUMN tier")


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (_drop_table("ledger_allocations"), "table {p}ledger_allocations is missing"),
        (_drop_table("idempotency"), "table {p}idempotency is missing"),
        (_delete_meta_row, "table {p}meta has no schema_version row"),
        (
            _drop_unique,
            "unique constraint uq_{p}ledger_entries_account_id_seq of {p}ledger_entries is missing",
        ),
        (_drop_column, "column {p}accounts.tier is missing"),
    ],
    ids=["allocations", "idempotency", "meta-row", "unique", "column"],
)
def test_a_damaged_store_is_refused_and_not_repaired(
    backend: Backend, damage: Callable[[Backend, sa.Connection], None], problem: str
) -> None:
    """A dropped table, meta row, unique rule or column: SchemaMismatch naming it, no repair."""
    first = backend.open()
    write(first, lambda u: u.accounts.add_many([account(1)]))
    first.close()
    with backend.engine.begin() as conn:
        damage(backend, conn)
    before = _tables(backend)

    with pytest.raises(SchemaMismatch) as error:
        backend.open()

    assert problem.format(p=backend.prefix) in error.value.problems
    assert SCHEMA_VERSION == error.value.expected
    assert before == _tables(backend)


def test_the_previous_schema_version_is_refused(backend: Backend) -> None:
    """A store stamped with version 1 (before ledger seq) is refused by version, not repaired."""
    backend.open().close()
    meta = sa.table(f"{backend.prefix}meta", sa.column("key"), sa.column("value"))
    with backend.engine.begin() as conn:
        conn.execute(sa.update(meta).values(value="1"))

    with pytest.raises(SchemaMismatch) as error:
        backend.open()

    expected = ("1", SCHEMA_VERSION, ())
    assert expected == (error.value.found, error.value.expected, error.value.problems)


def test_an_intact_store_opens_without_creating_anything(backend: Backend) -> None:
    """Reopening an intact store runs the check and leaves the tables as they are."""
    backend.open().close()
    before = _tables(backend)
    seen = backend.statements()

    backend.open().close()

    assert before == _tables(backend)
    assert not [s for s in seen if s.lstrip().upper().startswith(("CREATE", "INSERT"))]


def test_a_clashing_index_name_is_a_storage_error(backend: Backend) -> None:
    """A host index named like one of ours: a StorageError from set-up, nothing left behind."""
    with backend.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {backend.prefix}host (stage TEXT)")
        conn.exec_driver_sql(
            f"CREATE INDEX ix_{backend.prefix}accounts_stage ON {backend.prefix}host (stage)"
        )

    with pytest.raises(StorageError) as error:
        backend.open()

    assert not isinstance(error.value, SchemaMismatch)
    assert isinstance(error.value.__cause__, sa.exc.DBAPIError)
    assert {f"{backend.prefix}host"} == _tables(backend)


def test_a_read_only_sqlite_file_is_a_storage_error(tmp_path: Path) -> None:
    """Creating tables in a read-only SQLite file fails as a StorageError (rk.open included)."""
    path = tmp_path / "ro.db"
    sa.create_engine(f"sqlite:///{path}").dispose()
    with __import__("sqlite3").connect(path) as conn:
        conn.execute("CREATE TABLE unrelated (x)")
    url = f"sqlite:///file:{path}?mode=ro&uri=true"

    with pytest.raises(StorageError) as error:
        rk.open(url)

    assert not isinstance(error.value, SchemaMismatch)


@pytest.mark.postgresql
def test_a_role_without_create_privilege_is_a_storage_error(pg: Backend) -> None:
    """On PostgreSQL, a role that may not CREATE in the schema gets a StorageError at open."""
    role = f"rk_ro_{uuid.uuid4().hex[:8]}"
    schema = f"s_{uuid.uuid4().hex[:8]}"
    with pg.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        conn.exec_driver_sql(f"CREATE ROLE {role}")
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
    limited = sa.create_engine(pg.url, poolclass=sa.pool.NullPool)
    try:
        with limited.connect() as conn:
            conn.exec_driver_sql(f"SET ROLE {role}")
            conn.exec_driver_sql(f"SET search_path TO {schema}")
            conn.commit()
            with pytest.raises(StorageError) as error:
                SqlStorage(conn, prefix=pg.prefix)
        assert not isinstance(error.value, SchemaMismatch)
        assert isinstance(error.value.__cause__, sa.exc.DBAPIError)
    finally:
        limited.dispose()
        with pg.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            conn.exec_driver_sql(f"DROP ROLE {role}")


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Backend]:
    """The PostgreSQL test server."""
    with _open_backend("postgresql", tmp_path) as opened:
        yield opened

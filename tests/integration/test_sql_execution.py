"""How the SQL backend runs statements: as SQLAlchemy would, errors translated.

- A host's ``schema_translate_map`` and execution options apply to every
  statement (the direct path compiles the map in, and steps aside for other
  options: see ``test_direct_execution.py``).
- On PostgreSQL a lookup of many keys is planned for its keys, not with a
  generic plan kept from when the table was small.
- A translated error's chain never quotes SQL parameters or driver details
  (a customer's email or name), whoever made the engine (defect 5).
- A dropped PostgreSQL connection is a TransientStorageError, which the kit
  retries (defect 11).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import relationkit as rk
from relationkit.errors import DuplicateKey, StorageError, TransientStorageError
from relationkit.storage.ports import UnitOfWork
from relationkit.storage.sql import SqlStorage, new_metadata

from .test_sql_store import POSTGRES_ENV, Backend, _open_backend, account, customer, write


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A SQLite file, or the PostgreSQL test server, with a fresh table prefix."""
    with _open_backend(request.param, tmp_path) as opened:
        yield opened


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def test_schema_translate_map_of_a_sqlite_host_is_honoured(tmp_path: Path) -> None:
    """Tables built with schema=None, mapped {None: "crm"} to an attached file: rows land there."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'main.db'}")
    crm_file = tmp_path / "crm.db"

    @sa.event.listens_for(engine, "connect")
    def attach(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute(f"ATTACH DATABASE '{crm_file}' AS crm")  # type: ignore[attr-defined]

    mapped = engine.execution_options(schema_translate_map={None: "crm"})
    with rk.open(engine=mapped) as kit:
        alice = kit.customers.create(email="alice@example.com", name="Alice")
        found = kit.customers.get(alice.id)

    assert alice == found
    with sa.create_engine(f"sqlite:///{crm_file}").connect() as conn:
        stored = conn.exec_driver_sql("SELECT id FROM rk_customers").scalars().all()
    assert [alice.id] == stored
    main_tables = sa.inspect(
        sa.create_engine(f"sqlite:///{tmp_path / 'main.db'}")
    ).get_table_names()
    assert [] == main_tables
    engine.dispose()


@pytest.mark.postgresql
def test_schema_translate_map_of_a_postgresql_host_is_honoured() -> None:
    """On PostgreSQL the tables and rows go to the schema the map names."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    schema = f"crm_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        mapped = engine.execution_options(schema_translate_map={None: schema})
        with rk.open(engine=mapped, metadata=new_metadata()) as kit:
            alice = kit.customers.create(email="alice@example.com", name="Alice")
            assert alice == kit.customers.get(alice.id)
        with engine.connect() as conn:
            stored = conn.exec_driver_sql(f"SELECT id FROM {schema}.rk_customers").scalars().all()
        assert [alice.id] == stored
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


def test_a_translated_error_quotes_no_parameter(backend: Backend) -> None:
    """On a host engine that shows parameters, the chain of a DuplicateKey still hides them."""
    store = backend.open()
    secret_email, secret_name = "ann.secret@example.com", "Ann Secretname"

    def twice(u: UnitOfWork) -> None:
        u.accounts.add_many([account(1)])
        u.customers.add_many([customer(1, "acc_0001", email=secret_email, name=secret_name)])
        u.customers.add_many([customer(2, "acc_0001", email=secret_email, name=secret_name)])

    with pytest.raises(DuplicateKey) as error:
        write(store, twice)

    chain = _chain(error.value)
    assert isinstance(chain[1], sa.exc.IntegrityError)  # the statement stays, for diagnosis
    text = " ".join(f"{e!s} {e!r}" for e in chain)
    assert secret_email not in text
    assert secret_name not in text


def test_engines_the_store_makes_hide_parameters(tmp_path: Path) -> None:
    """from_url engines hide parameters from SQLAlchemy's own errors and logs."""
    storage = SqlStorage.from_url(f"sqlite:///{tmp_path / 'own.db'}")
    try:
        assert storage._engine.hide_parameters
    finally:
        storage.close()


@pytest.mark.postgresql
def test_a_dropped_connection_is_transient_and_the_kit_retries(pg: Backend) -> None:
    """pg_terminate_backend mid-transaction: TransientStorageError; the kit's next attempt works."""
    engine = sa.create_engine(pg.url, pool_size=1, max_overflow=0)
    killer = sa.create_engine(pg.url, poolclass=sa.pool.NullPool)
    try:
        store = SqlStorage(engine, prefix=pg.prefix)
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()

        def doomed() -> None:
            with store.transaction(write=True) as u, killer.begin() as other:
                other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
                u.accounts.add_many([account(1)])

        with pytest.raises(TransientStorageError) as error:
            doomed()
        assert isinstance(error.value.__cause__, sa.exc.DBAPIError)

        kit = rk.open(storage=store)
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with killer.begin() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        bob = kit.customers.create(email="bob@example.com")
        assert bob == kit.customers.get(bob.id)
    finally:
        engine.dispose()
        killer.dispose()


@pytest.mark.postgresql
def test_a_lookup_of_many_keys_plans_for_its_keys(pg: Backend) -> None:
    """Lookups of one key leave plan caching alone; the first lookup of many keys
    in a transaction sets force_custom_plan for that transaction, once."""
    engine = sa.create_engine(pg.url)
    sent: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    try:
        store = SqlStorage(engine, prefix=pg.prefix)
        many = [f"o{n}" for n in range(40)]
        with store.transaction(write=False) as uow:
            uow.purchases.get_many(["o1"])
            before = [s for s in sent if "plan_cache_mode" in s]
            uow.purchases.get_many(many)
            uow.customers.get_many([f"cus_{n}" for n in range(40)])
            during = [s for s in sent if "plan_cache_mode" in s]
        with engine.connect() as conn:
            after = conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one()
        store.close()
    finally:
        engine.dispose()

    assert ([], ["SET LOCAL plan_cache_mode = force_custom_plan"], "auto") == (
        before,
        during,
        after,
    )


def test_only_a_transaction_holding_sqlite_s_write_lock_is_serial(tmp_path: Path) -> None:
    """A SQLite write transaction is serial once BEGIN IMMEDIATE is sent; on an
    AUTOCOMMIT connection (no transaction: every statement commits alone) it is
    not, so the re-checks after locking still run."""
    plain = sa.create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    autocommit = sa.create_engine(f"sqlite:///{tmp_path / 'auto.db'}").execution_options(
        isolation_level="AUTOCOMMIT"
    )
    seen = []
    for engine in (plain, autocommit):
        store = SqlStorage(engine)
        with store.transaction(write=True) as uow:
            seen.append(getattr(uow, "serial_writes", None))
        with store.transaction(write=False) as uow:
            seen.append(getattr(uow, "serial_writes", None))
        store.close()
        engine.dispose()

    assert [True, False, False, False] == seen


def test_an_unreachable_database_is_a_storage_error(tmp_path: Path) -> None:
    """A SQLite path in a missing directory fails at open as a StorageError, not a raw error."""
    with pytest.raises(StorageError):
        rk.open(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Backend]:
    """The PostgreSQL test server."""
    with _open_backend("postgresql", tmp_path) as opened:
        yield opened

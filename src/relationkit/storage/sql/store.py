"""The SQL backend: :class:`SqlStorage`, its transactions and units of work.

``SqlStorage`` works on SQLite (a file for embedded use, ``:memory:`` for
tests) and PostgreSQL through SQLAlchemy Core. It takes the host's ``Engine``
or ``Connection`` (the host keeps ownership) or makes its own engine with
:meth:`SqlStorage.from_url` (and disposes of it on :meth:`SqlStorage.close`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    RootTransaction,
    create_engine,
    event,
    make_url,
)
from sqlalchemy.engine import NestedTransaction
from sqlalchemy.pool import StaticPool

from relationkit.errors import StorageError
from relationkit.storage.ports import (
    AccountRepository,
    Capabilities,
    CustomerRepository,
    IdempotencyRepository,
    InteractionRepository,
    LedgerRepository,
    PurchaseRepository,
    StageRepository,
)
from relationkit.storage.sql import sqlite
from relationkit.storage.sql.bulk import Inserts, build_inserts
from relationkit.storage.sql.direct import supports_direct, unwatched
from relationkit.storage.sql.executor import Executor, end_transaction
from relationkit.storage.sql.ledger import SqlLedger
from relationkit.storage.sql.purchases import SqlPurchases
from relationkit.storage.sql.queries import Queries
from relationkit.storage.sql.repositories import (
    SqlAccounts,
    SqlCustomers,
    SqlIdempotency,
    SqlInteractions,
    SqlStages,
)
from relationkit.storage.sql.schema import prepare
from relationkit.storage.sql.tables import Tables, build_tables, new_metadata
from relationkit.storage.sql.translate import Translator

__all__ = ["SqlStorage", "SqlUnitOfWork"]

_Transaction = RootTransaction | NestedTransaction


class SqlUnitOfWork:
    """One transaction's view of the store (:class:`~relationkit.storage.ports.UnitOfWork`)."""

    accounts: AccountRepository
    customers: CustomerRepository
    stages: StageRepository
    interactions: InteractionRepository
    purchases: PurchaseRepository
    ledger: LedgerRepository
    idempotency: IdempotencyRepository

    def __init__(
        self, executor: Executor, tables: Tables, inserts: Inserts, queries: Queries
    ) -> None:
        self._x = executor
        shared = (executor, tables, inserts, queries)
        self.accounts = SqlAccounts(*shared)
        self.customers = SqlCustomers(*shared)
        self.stages = SqlStages(*shared)
        self.interactions = SqlInteractions(*shared)
        self.purchases = SqlPurchases(*shared)
        self.ledger = SqlLedger(*shared)
        self.idempotency = SqlIdempotency(*shared)

    def savepoint(self) -> AbstractContextManager[None]:
        """Return a context in which an exception undoes only what it wrote.

        A SAVEPOINT: rolling back to it also makes a PostgreSQL transaction
        usable again after a failed statement (a DuplicateKey, say).
        """
        return self._x.savepoint()


class SqlStorage:
    """A storage backend on a SQL database (SQLite or PostgreSQL), via SQLAlchemy Core.

    Opening creates missing tables (or, with ``create=False``, checks that
    they exist) and checks the schema version.

    Args:
        engine: the host's ``Engine`` (transactions use pooled connections)
            or ``Connection`` (transactions join it: a savepoint if the host
            has begun a transaction, which the host then commits).
        metadata: the host's ``MetaData`` to add the tables to; by default
            a new one with relationkit's naming convention.
        prefix: prepended to every table name.
        create: create missing tables and record the schema version.
        owns_engine: dispose of the engine in :meth:`close`.
        busy_timeout: SQLite only: seconds to wait for another writer.

    Raises:
        SchemaMismatch: the database holds another schema version.
        StorageError: tables are missing with ``create=False``, or the
            database cannot be reached.
    """

    capabilities: Capabilities

    def __init__(
        self,
        engine: Engine | Connection,
        *,
        metadata: MetaData | None = None,
        prefix: str = "rk_",
        create: bool = True,
        owns_engine: bool = False,
        busy_timeout: float = 5.0,
    ) -> None:
        self._connection = engine if isinstance(engine, Connection) else None
        self._engine = engine.engine
        self._owns_engine = owns_engine
        self._closed = False
        self.metadata = metadata if metadata is not None else new_metadata()
        self.tables = build_tables(self.metadata, prefix)
        dialect = self._engine.dialect
        self._inserts = build_inserts(self.tables, dialect)
        self._queries = Queries(self.tables, dialect)
        self._direct = supports_direct(dialect)
        self._translate = Translator(
            self.tables.logical_names,
            self.tables.column_names,
            getattr(dialect.loaded_dbapi, "Error", None),
        )
        is_sqlite = dialect.name == "sqlite"
        memory = is_sqlite and sqlite.is_memory_url(self._engine.url)
        self.capabilities = Capabilities(
            row_locks=not is_sqlite,
            multi_process=not memory,
            aggregate_pushdown=True,
            savepoints=True,
        )
        # One connection shared by every thread (StaticPool): take turns.
        self._serial = isinstance(self._engine.pool, StaticPool) and self._connection is None
        self._lock = threading.RLock()
        self._listening = False
        self._waiting: list[Callable[[], None]] = []
        if is_sqlite:
            sqlite.install(self._engine, busy_timeout=busy_timeout)
        try:
            with self._begin(write=True) as connection:
                prepare(connection, self.tables, create=create)
        except BaseException:
            if owns_engine:
                self._engine.dispose()
            raise

    @classmethod
    def from_url(
        cls, url: str, *, engine_options: Mapping[str, Any] | None = None, **kw: Any
    ) -> SqlStorage:
        """Create an engine for ``url`` and open a store that owns it.

        ``sqlite://`` and ``sqlite:///:memory:`` get a single shared
        connection (``StaticPool``), so every transaction sees the same
        in-memory database.

        Args:
            url: a SQLAlchemy URL (``sqlite:///crm.db``,
                ``postgresql+psycopg://user@host/db``).
            engine_options: extra keyword arguments for ``create_engine``.
            **kw: passed on to :class:`SqlStorage` (``prefix``, ``metadata``, ...).
        """
        options: dict[str, Any] = {}
        try:
            parsed = make_url(url)
        except Exception as e:
            raise StorageError("the database URL cannot be parsed") from e
        if parsed.get_backend_name() == "sqlite" and sqlite.is_memory_url(parsed):
            options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        options.update(engine_options or {})
        try:
            engine = create_engine(parsed, **options)
        except Exception as e:
            raise StorageError(f"cannot create an engine for {parsed.drivername}") from e
        return cls(engine, owns_engine=True, **kw)

    @contextmanager
    def _begin(self, *, write: bool) -> Iterator[Connection]:
        """Yield a connection in a transaction; commit on exit, roll back on error."""
        t = self._translate
        with self._lock if self._serial else contextlib.nullcontext():
            host = self._connection
            try:
                connection = host if host is not None else self._engine.connect()
            except t.catches as e:
                raise t(e) from e
            try:
                tx: _Transaction
                try:
                    if connection.in_transaction():
                        tx = connection.begin_nested()
                    else:
                        connection.execution_options(**{sqlite.WRITE_OPTION: write})
                        tx = connection.begin()
                except t.catches as e:
                    raise t(e) from e
                try:
                    yield connection
                except BaseException:
                    end_transaction(tx, t, commit=False)
                    raise
                end_transaction(tx, t, commit=True)
            finally:
                if host is None:
                    with contextlib.suppress(*t.catches):
                        connection.close()

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[SqlUnitOfWork]:
        """Open a transaction; commit on normal exit, roll back on exception.

        On SQLite a write transaction starts with ``BEGIN IMMEDIATE``: it
        waits (up to the busy timeout) for other writers, then holds the
        database until commit.

        Raises:
            StorageError: the store is closed, or the database failed.
            TransientStorageError: busy, deadlock or serialisation failure.
        """
        if self._closed:
            raise StorageError("the SQL store is closed")
        with self._begin(write=write) as connection:
            executor = Executor(
                connection,
                self._translate,
                writable=write,
                direct=self._direct and unwatched(connection),
            )
            yield SqlUnitOfWork(executor, self.tables, self._inserts, self._queries)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` now, or when the host commits the transaction we joined.

        When the store works inside a host's transaction (a host
        ``Connection`` passed in and already begun), the host's commit is
        what makes the work durable: the callback waits for it, and is
        dropped if the host rolls back.
        """
        host = self._connection
        if host is None or not host.in_transaction():
            callback()
            return
        if not self._listening:
            # Listeners stay for the store's life: removing one while the
            # connection dispatches its commit is not allowed.
            event.listen(host, "commit", self._host_committed)
            event.listen(host, "rollback", self._host_rolled_back)
            self._listening = True
        self._waiting.append(callback)

    def _host_committed(self, _connection: Connection) -> None:
        waiting, self._waiting = self._waiting, []
        for callback in waiting:
            callback()

    def _host_rolled_back(self, _connection: Connection) -> None:
        self._waiting = []

    def close(self) -> None:
        """Release the engine's connections if this store owns it. Idempotent.

        Later transactions raise :class:`~relationkit.errors.StorageError`.
        """
        if self._closed:
            return
        self._closed = True
        if self._owns_engine:
            self._engine.dispose()

    def __enter__(self) -> SqlStorage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"SqlStorage(dialect={self._engine.dialect.name!r}, "
            f"prefix={self.tables.meta.name.removesuffix('meta')!r})"
        )

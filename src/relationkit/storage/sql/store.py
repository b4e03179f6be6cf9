"""The SQL backend: :class:`SqlStorage`, its transactions and its set-up.

``SqlStorage`` works on SQLite (a file for embedded use, ``:memory:`` for
tests) and PostgreSQL through SQLAlchemy Core. It takes the host's ``Engine``
or ``Connection`` (the host keeps ownership) or makes its own engine with
:meth:`SqlStorage.from_url` (and disposes of it on :meth:`SqlStorage.close`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, RootTransaction, create_engine, make_url
from sqlalchemy.engine import NestedTransaction
from sqlalchemy.pool import StaticPool

from relationkit.errors import StorageError
from relationkit.storage.sql.dialects import sqlite
from relationkit.storage.sql.direct import DirectStatements
from relationkit.storage.sql.execution import Executor, end_transaction, guarded
from relationkit.storage.sql.host_commits import HostCommits
from relationkit.storage.sql.queries.aggregates import Aggregates
from relationkit.storage.sql.queries.statements import Statements
from relationkit.storage.sql.repositories.prefetch import PrefetchFlag
from relationkit.storage.sql.schema.check import prepare
from relationkit.storage.sql.schema.tables import build_tables, new_metadata
from relationkit.storage.sql.translate import Translator
from relationkit.storage.sql.unit_of_work import SqlUnitOfWork

__all__ = ["SqlStorage", "SqlUnitOfWork"]

_Transaction = RootTransaction | NestedTransaction


class SqlStorage:
    """A storage backend on a SQL database (SQLite or PostgreSQL), via SQLAlchemy Core.

    Opening creates the tables in a database that holds none of them (with
    ``create=True``), and otherwise checks that they are all there, whole, at
    this version's schema; it never repairs a damaged store.

    Args:
        engine: the host's ``Engine`` (transactions use pooled connections)
            or ``Connection`` (transactions join it: a savepoint if the host
            has begun a transaction, which the host then commits).
        metadata: the host's ``MetaData`` to add the tables to; by default
            a new one with relationkit's naming convention.
        prefix: prepended to every table name.
        create: create the tables in an empty store and record the version.
        owns_engine: dispose of the engine in :meth:`close`.
        busy_timeout: SQLite only: seconds to wait for another writer.

    Raises:
        SchemaMismatch: the database holds another schema version, or the
            tables are partial or altered.
        StorageError: the store is empty with ``create=False``, the set-up
            failed (no right to create tables, a name taken), or the
            database cannot be reached.
    """

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
        self._prefix = prefix
        dialect = self._engine.dialect
        self._statements = Statements(self.tables, prefix)
        self._aggregates = Aggregates(self.tables)
        self._prefetch = PrefetchFlag()
        self._direct = DirectStatements()
        self._translate = Translator(
            self.tables.logical_names,
            self.tables.column_names,
            getattr(dialect.loaded_dbapi, "Error", None),
        )
        # One connection shared by every thread (StaticPool): take turns.
        self._serial = isinstance(self._engine.pool, StaticPool) and self._connection is None
        self._lock = threading.RLock()
        self._host_commits: HostCommits | None = None
        try:
            if dialect.name == "sqlite":
                sqlite.install(self._engine, busy_timeout=busy_timeout)
            with self._begin(write=True) as connection:
                guarded(self._translate, lambda: prepare(connection, self.tables, create=create))
            if self._connection is not None:
                self._host_commits = HostCommits(self._connection)
        except BaseException:
            if owns_engine:
                self._engine.dispose()
            raise

    @classmethod
    def from_url(
        cls, url: str, *, engine_options: Mapping[str, Any] | None = None, **kw: Any
    ) -> SqlStorage:
        """Create an engine for ``url`` and open a store that owns it.

        The engine hides SQL parameters from its errors and logs
        (``hide_parameters=True``): they hold customers' data.
        ``sqlite://`` and ``sqlite:///:memory:`` get a single shared
        connection (``StaticPool``), so every transaction sees the same
        in-memory database.

        Args:
            url: a SQLAlchemy URL (``sqlite:///crm.db``,
                ``postgresql+psycopg://user@host/db``).
            engine_options: extra keyword arguments for ``create_engine``.
            **kw: passed on to :class:`SqlStorage` (``prefix``, ``metadata``, ...).
        """
        options: dict[str, Any] = {"hide_parameters": True}
        try:
            parsed = make_url(url)
        except Exception as e:
            raise StorageError("the database URL cannot be parsed") from None if _quotes(e) else e
        if parsed.get_backend_name() == "sqlite" and sqlite.is_memory_url(parsed):
            options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        options.update(engine_options or {})
        try:
            engine = create_engine(parsed, **options)
        except Exception as e:
            raise StorageError(f"cannot create an engine for {parsed.drivername}") from e
        return cls(engine, owns_engine=True, **kw)

    @property
    def engine(self) -> Engine:
        """The engine the store runs on (the host's, or its own from :meth:`from_url`)."""
        return self._engine

    @property
    def connection(self) -> Connection | None:
        """The host's ``Connection`` the store joins, or None when it uses the engine's pool."""
        return self._connection

    @contextmanager
    def _begin(self, *, write: bool) -> Iterator[Connection]:
        """Yield a connection in a transaction; commit on exit, roll back on error."""
        t = self._translate
        with self._lock if self._serial else contextlib.nullcontext():
            host = self._connection
            connection = host if host is not None else guarded(t, self._engine.connect)
            try:

                def begin() -> _Transaction:
                    if connection.in_transaction():
                        return connection.begin_nested()
                    connection.execution_options(**{sqlite.WRITE_OPTION: write})
                    return connection.begin()

                tx = guarded(t, begin)
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
        database until commit. On a host connection, callbacks whose host
        COMMIT has succeeded run first (see :meth:`deliver_committed`).

        Raises:
            StorageError: the store is closed, or the database failed.
            TransientStorageError: busy, deadlock, serialisation failure or a
                lost connection.
        """
        if self._closed:
            raise StorageError("the SQL store is closed")
        if self._host_commits is not None:
            self._host_commits.deliver()
        with self._begin(write=write) as connection:
            executor = Executor(connection, self._translate, writable=write, direct=self._direct)
            # One SQLite writer at a time, from the first read on: a commit by
            # another writer after this transaction read makes its first write
            # fail (busy), never succeed on stale reads.
            serial = (
                write and connection.dialect.name == "sqlite" and _driver_in_transaction(connection)
            )
            yield SqlUnitOfWork(
                executor,
                self.tables,
                self._statements,
                self._aggregates,
                serial_writes=serial,
                prefetch_flag=self._prefetch,
            )

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the work of the transaction that just ended is durable.

        On the store's own transactions (an engine, or a host connection
        outside a host transaction) that is now. Inside a transaction the
        host owns, the callback waits for the host's COMMIT to succeed and
        is dropped if the host rolls back, rolls back the savepoint that
        held the work, or its COMMIT fails; it then runs at the store's next
        transaction or when the host calls :meth:`deliver_committed`.
        """
        commits = self._host_commits
        if commits is None:
            callback()
            return
        commits.deliver()
        host = self._connection
        if host is not None and host.in_transaction():
            commits.add(callback)
        else:
            callback()

    def deliver_committed(self) -> None:
        """Run the callbacks whose host COMMIT has succeeded, now.

        For a store on a host ``Connection``: call it after your own
        ``commit()`` to have the kit's hooks run at once rather than at the
        kit's next call. Nothing happens for work still in an open host
        transaction, or on a store that owns its transactions.

        Raises:
            Exception: what a callback raised (several: an ``ExceptionGroup``),
                once every callback ran.
        """
        if self._host_commits is not None:
            self._host_commits.deliver(raise_errors=True)

    def close(self) -> None:
        """Release the engine's connections if this store owns it. Idempotent.

        Later transactions raise :class:`~relationkit.errors.StorageError`.
        Callbacks still waiting for a host COMMIT are dropped.
        """
        if self._closed:
            return
        self._closed = True
        if self._host_commits is not None:
            self._host_commits.close()
        if self._owns_engine:
            self._engine.dispose()

    def __enter__(self) -> SqlStorage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqlStorage(dialect={self._engine.dialect.name!r}, prefix={self._prefix!r})"


def _quotes(error: Exception) -> bool:
    # A URL parse error quotes the URL, password included.
    return "://" in str(error)


def _driver_in_transaction(connection: Connection) -> bool:
    """Whether the DB-API connection has a transaction open (not autocommitting).

    An ``AUTOCOMMIT`` connection, or a driver that begins lazily, has not
    taken SQLite's write lock yet: its reads could be stale by its first
    write, so such a transaction is not treated as serial.
    """
    try:
        return connection.connection.dbapi_connection.in_transaction is True  # type: ignore[union-attr]
    except Exception:
        return False

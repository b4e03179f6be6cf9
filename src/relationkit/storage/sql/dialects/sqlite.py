"""SQLite set-up: pragmas, and transactions that relationkit begins itself.

Python's ``sqlite3`` module (before 3.12's ``autocommit``) starts transactions
lazily, only before DML, which breaks repeatable reads and SAVEPOINT. So the
driver's transaction control is turned off (``isolation_level = None``) and a
"begin" event emits the BEGIN through the connection: ``BEGIN IMMEDIATE`` for
a write transaction, which takes the write lock up front (two writers queue on
the busy timeout instead of deadlocking on a lock upgrade), plain ``BEGIN``
for a read one. The write flag travels in the ``relationkit_write``
execution option.

The pragmas (WAL, busy timeout, foreign keys, ``synchronous=NORMAL``) are set on
each new DBAPI connection; connections pooled before relationkit saw the
engine (a host's engine) are set up at their first BEGIN instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import URL

__all__ = ["WRITE_OPTION", "install", "is_memory_url"]

WRITE_OPTION = "relationkit_write"
"""Execution option that makes the next BEGIN a ``BEGIN IMMEDIATE``."""

_CONFIGURED = "relationkit_sqlite_configured"


def is_memory_url(url: URL) -> bool:
    """Return whether a SQLite URL names an in-memory database."""
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


class _Listeners:
    """The event handlers for one engine (kept so they can be found again)."""

    def __init__(self, busy_timeout_ms: int, wal: bool) -> None:
        self.busy_timeout_ms = busy_timeout_ms
        self.wal = wal

    def configure(self, dbapi_connection: Any) -> None:
        # Pragmas run outside any transaction: journal_mode and foreign_keys
        # are silently ignored inside one.
        cursor = dbapi_connection.cursor()
        try:
            # First, so that switching to WAL waits for other connections.
            cursor.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if self.wal and not _read_only(cursor):
                cursor.execute("PRAGMA journal_mode = WAL")
                # With WAL, NORMAL is safe against application crashes and
                # saves an fsync per commit; a power loss may lose the last ones.
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()
        dbapi_connection.isolation_level = None

    def on_connect(self, dbapi_connection: Any, connection_record: Any) -> None:
        self.configure(dbapi_connection)
        connection_record.info[_CONFIGURED] = True

    def on_begin(self, conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # the host asked for no transactions on this connection
        fairy = conn.connection
        dbapi_connection: Any = fairy.dbapi_connection
        if not fairy.info.get(_CONFIGURED):
            self.configure(dbapi_connection)
            fairy.info[_CONFIGURED] = True
        elif dbapi_connection.isolation_level is not None and not dbapi_connection.in_transaction:
            # SQLAlchemy resets the isolation level when a connection that used
            # another level goes back to the pool; take control again.
            dbapi_connection.isolation_level = None
        # Straight to the driver, as SQLAlchemy sends its own BEGIN: a control
        # statement, not a query (no cursor events), and a third of an empty
        # transaction's cost through ``exec_driver_sql``. A busy database
        # raises the driver's error, which the store's guard translates.
        dbapi_connection.execute("BEGIN IMMEDIATE" if options.get(WRITE_OPTION) else "BEGIN")


def _read_only(cursor: Any) -> bool:
    # A read-only file (mode=ro, or no write permission) refuses the WAL
    # switch; opening it still works, and a write then fails as a StorageError.
    try:
        cursor.execute("PRAGMA query_only")
        return bool(cursor.fetchone()[0])
    except Exception:
        return False


def install(engine: Engine, *, busy_timeout: float) -> None:
    """Set relationkit's SQLite behaviour on ``engine`` (once per engine).

    Args:
        engine: a SQLite engine (relationkit's own or the host's).
        busy_timeout: seconds a transaction waits for another one's lock
            before failing with a transient error.
    """
    if engine.dialect.name != "sqlite" or engine.dialect.driver != "pysqlite":
        return
    if any(isinstance(getattr(fn, "__self__", None), _Listeners) for fn in engine.dispatch.begin):
        return  # a second store on the same engine
    listeners = _Listeners(round(busy_timeout * 1000), wal=not is_memory_url(engine.url))
    event.listen(engine, "connect", listeners.on_connect)
    event.listen(engine, "begin", listeners.on_begin)

"""Driver errors to relationkit errors, at the edge of the SQL backend.

Everything the backend runs on a database (set-up included) goes through
:class:`Translator`, so no raw driver or SQLAlchemy error escapes:

- a broken uniqueness rule -> :class:`DuplicateKey` with the logical name of
  the constraint (PostgreSQL names the constraint; SQLite names the columns);
- a missing parent (foreign key) -> :class:`DanglingReference` naming the
  reference (PostgreSQL names the constraint; on SQLite the caller says);
- SQLite busy/locked, PostgreSQL deadlock, serialization failure, lock not
  available, and a lost connection (SQLAlchemy invalidated it, or the server
  shut the session down) -> :class:`TransientStorageError`;
- anything else -> :class:`StorageError`.

The relationkit error's ``__cause__`` is a sanitized copy of SQLAlchemy's
error: the statement stays, the parameters and the driver's detail lines
(PostgreSQL's ``DETAIL: Key (email_key)=(...)``) go, so a customer's data
never reaches a traceback or a log. The original stays reachable as the
copy's ``orig`` (its SQLSTATE, say), outside the exception chain.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from sqlalchemy import exc as sa_exc

from relationkit.errors import DanglingReference, DuplicateKey, StorageError, TransientStorageError
from relationkit.storage.sql.dialects.postgresql import DISCONNECT_SQLSTATES, TRANSIENT_SQLSTATES

__all__ = ["Translator", "sanitized"]

_UNIQUE_SQLSTATE = "23505"
_FOREIGN_KEY_SQLSTATE = "23503"
# SQLite primary result codes (extended codes carry them in the low byte).
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_UNIQUE_PREFIX = "UNIQUE constraint failed: "
_SQLITE_PK_PREFIX = "PRIMARY KEY constraint failed: "


def _sqlstate(orig: BaseException | None) -> str | None:
    # psycopg 3 and psycopg2 both expose the SQLSTATE; other drivers may not.
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code if isinstance(code, str) else None


def _primary(orig: BaseException) -> str:
    """The driver's message without detail lines (which may quote values)."""
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if isinstance(primary, str):
        return primary
    return str(orig).split("\n", 1)[0]


def sanitized(error: BaseException) -> BaseException:
    """Return a copy of ``error`` that quotes no parameter and no driver detail.

    A SQLAlchemy ``StatementError`` keeps its statement, class and ``orig``;
    its message names the driver error's class and first line only. Another
    error is returned as is when it carries no parameters.
    """
    if not isinstance(error, sa_exc.StatementError):
        return error
    clean = copy.copy(error)
    orig = error.orig
    if isinstance(error, sa_exc.DBAPIError) and orig is not None:
        what = f"({type(orig).__module__}.{type(orig).__name__}) {_primary(orig)}"
    elif orig is not None:
        what = f"({type(orig).__module__}.{type(orig).__name__})"
    else:
        what = type(error).__name__
    clean.args = (what,)
    clean.params = None
    clean.hide_parameters = True
    clean.detail = []
    return clean


class Translator:
    """Turn errors into relationkit errors, knowing the store's constraint names.

    Args:
        logical_names: constraint name -> logical name (PostgreSQL).
        column_names: sorted ``table.column`` tuple -> logical name (SQLite).
        driver_error: the DBAPI's base ``Error`` class; errors raised outside
            SQLAlchemy's wrapping (in pool events) are translated too.
    """

    def __init__(
        self,
        logical_names: Mapping[str, str],
        column_names: Mapping[tuple[str, ...], str],
        driver_error: type[BaseException] | None = None,
    ) -> None:
        self._logical = logical_names
        self._columns = column_names
        self.catches: tuple[type[BaseException], ...] = (sa_exc.SQLAlchemyError,)
        if driver_error is not None:
            self.catches += (driver_error,)

    def __call__(self, error: BaseException, *, dangling: str | None = None) -> StorageError:
        """Return the relationkit error for ``error``, its cause set to a sanitized copy.

        Raise the result outside the ``except`` block that caught ``error``
        (see :class:`~relationkit.storage.sql.execution.Executor`), so that
        the raw error is not its ``__context__`` either.

        Args:
            error: a SQLAlchemy or DBAPI error.
            dangling: the reference a foreign key violation means, when the
                dialect does not name the constraint (SQLite).
        """
        result = self._classify(error, dangling)
        result.__cause__ = sanitized(error)
        result.__suppress_context__ = True
        return result

    def _classify(self, error: BaseException, dangling: str | None) -> StorageError:
        orig = error.orig if isinstance(error, sa_exc.DBAPIError) else error
        sqlstate = _sqlstate(orig)
        message = str(orig)
        kind = type(orig).__name__
        if sqlstate in TRANSIENT_SQLSTATES or self._sqlite_busy(orig, message):
            return TransientStorageError(f"the database is busy, retry: {kind}")
        if self._disconnected(error, sqlstate):
            return TransientStorageError(f"the database connection was lost, retry: {kind}")
        if isinstance(error, sa_exc.IntegrityError) or (sqlstate or "").startswith("23"):
            unique = self._unique(orig, sqlstate, message)
            if unique is not None:
                return DuplicateKey(unique)
            if sqlstate == _FOREIGN_KEY_SQLSTATE or "FOREIGN KEY constraint failed" in message:
                name = getattr(getattr(orig, "diag", None), "constraint_name", None)
                field = self._logical.get(name) if isinstance(name, str) else None
                return DanglingReference(field or dangling or "reference")
        # The driver's message may quote values (personal data): keep it out
        # of ours, and say which kind of failure this was.
        return StorageError(f"the database failed: {kind}")

    @staticmethod
    def _disconnected(error: BaseException, sqlstate: str | None) -> bool:
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, sa_exc.DisconnectionError):
            return True
        return sqlstate in DISCONNECT_SQLSTATES or (sqlstate or "").startswith("08")

    @staticmethod
    def _sqlite_busy(orig: BaseException | None, message: str) -> bool:
        code = getattr(orig, "sqlite_errorcode", None)
        if isinstance(code, int):
            return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
        return "database is locked" in message or "database table is locked" in message

    def _unique(self, orig: BaseException | None, sqlstate: str | None, message: str) -> str | None:
        if sqlstate == _UNIQUE_SQLSTATE:
            diag = getattr(orig, "diag", None)
            name = getattr(diag, "constraint_name", None)
            if isinstance(name, str):
                return self._logical.get(name, name)
            return "unknown"
        for prefix in (_SQLITE_UNIQUE_PREFIX, _SQLITE_PK_PREFIX):
            if message.startswith(prefix):
                columns = tuple(sorted(c.strip() for c in message[len(prefix) :].split(",")))
                return self._columns.get(columns, ", ".join(columns))
        return None

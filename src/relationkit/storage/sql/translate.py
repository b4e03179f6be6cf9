"""Driver errors to relationkit errors, at the edge of the SQL backend.

Every statement the backend runs goes through
:class:`~relationkit.storage.sql.executor.Executor`, which raises what
:class:`Translator` makes of a failure, so no raw driver or SQLAlchemy error
escapes:

- a broken uniqueness rule -> :class:`DuplicateKey` with the logical name of
  the constraint (PostgreSQL names the constraint; SQLite names the columns);
- a dangling reference (foreign key) -> what the calling repository says it
  means (``DuplicateKey("account_id")`` for a customer, as the memory backend
  does), else :class:`StorageError`;
- SQLite busy/locked, PostgreSQL deadlock (40P01), serialization failure
  (40001) and lock not available (55P03) -> :class:`TransientStorageError`;
- anything else -> :class:`StorageError`, with the original as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import exc as sa_exc

from relationkit.errors import StorageError
from relationkit.storage.ports import DuplicateKey, TransientStorageError

__all__ = ["Translator"]

_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
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

    def __call__(
        self, error: BaseException, *, dangling: Callable[[], Exception] | None = None
    ) -> Exception:
        """Return the relationkit error that stands for ``error`` (to raise from it).

        Args:
            error: a SQLAlchemy or DBAPI error.
            dangling: makes the error for a foreign key violation, when the
                caller knows which reference it is.
        """
        orig = error.orig if isinstance(error, sa_exc.DBAPIError) else error
        sqlstate = _sqlstate(orig)
        message = str(orig)
        if sqlstate in _TRANSIENT_SQLSTATES or self._sqlite_busy(orig, message):
            return TransientStorageError(f"the database is busy, retry: {type(orig).__name__}")
        if isinstance(error, sa_exc.IntegrityError) or (sqlstate or "").startswith("23"):
            unique = self._unique(orig, sqlstate, message)
            if unique is not None:
                return DuplicateKey(unique)
            if sqlstate == _FOREIGN_KEY_SQLSTATE or "FOREIGN KEY constraint failed" in message:
                if dangling is not None:
                    return dangling()
                return StorageError("a row refers to a row that does not exist")
        # The driver's message may quote values (personal data): keep it in
        # __cause__ only, and say which kind of failure this was.
        return StorageError(f"the database failed: {type(orig).__name__}")

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

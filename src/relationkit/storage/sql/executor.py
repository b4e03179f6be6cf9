"""Running statements inside a transaction, with every failure translated.

:class:`Executor` is the only way the repositories reach the database: it
fetches results completely inside its guard, refuses writes in a read
transaction (as the memory backend does), and raises what the store's
:class:`~relationkit.storage.sql.translate.Translator` makes of any error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, CursorResult, Executable, Row
from sqlalchemy.engine import NestedTransaction, RootTransaction

from relationkit.errors import StorageError
from relationkit.storage.sql.bulk import BulkInsert
from relationkit.storage.sql.translate import Translator

__all__ = ["Executor", "end_transaction"]

Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class Executor:
    """Run statements on one connection, translating every failure.

    Results are fully fetched inside the guard, because SQLite reports some
    errors (busy, locked) while rows are being stepped through.

    Args:
        connection: the transaction's connection.
        translate: the store's :class:`Translator`.
        writable: False in a read transaction; writes then raise StorageError,
            as on the memory backend.
    """

    def __init__(self, connection: Connection, translate: Translator, *, writable: bool) -> None:
        self.connection = connection
        self.translate = translate
        self.writable = writable

    def rows(self, statement: Executable, params: Params = None) -> Sequence[Row[Any]]:
        """Run a query and return all its rows."""
        try:
            return self.connection.execute(statement, params).all()
        except self.translate.catches as e:
            raise self.translate(e) from e

    def scalar(self, statement: Executable, params: Params = None) -> Any:
        """Run a query and return the first column of its first row (or None)."""
        try:
            return self.connection.execute(statement, params).scalar()
        except self.translate.catches as e:
            raise self.translate(e) from e

    def write(
        self,
        statement: Executable,
        params: Params = None,
        *,
        dangling: Callable[[], Exception] | None = None,
    ) -> CursorResult[Any]:
        """Run an INSERT/UPDATE (one parameter set, or many as one executemany).

        Args:
            statement: the DML statement.
            params: one mapping, or a non-empty list for an executemany.
            dangling: the error for a foreign key violation (see :class:`Translator`).

        Raises:
            StorageError: in a read-only transaction, or if the database fails.
        """
        if not self.writable:
            raise StorageError("write attempted in a read-only transaction")
        try:
            return self.connection.execute(statement, params)
        except self.translate.catches as e:
            raise self.translate(e, dangling=dangling) from e

    def insert(
        self,
        bulk: BulkInsert,
        rows: list[dict[str, Any]],
        *,
        dangling: Callable[[], Exception] | None = None,
    ) -> None:
        """Insert ``rows`` (one executemany; nothing for an empty list).

        Args:
            bulk: the table's compiled INSERT.
            rows: parameter dicts (converted in place).
            dangling: the error for a foreign key violation (see :class:`Translator`).

        Raises:
            StorageError: in a read-only transaction, or if the database fails.
        """
        if not self.writable:
            raise StorageError("write attempted in a read-only transaction")
        if not rows:
            return
        try:
            parameters = bulk.parameters(rows)
        except (TypeError, ValueError) as e:
            # A value no column type accepts (a naive datetime): what
            # SQLAlchemy reports as a StatementError on its own path.
            raise StorageError(
                f"a value cannot be stored in {bulk.table.name}: {type(e).__name__}"
            ) from e
        try:
            self.connection.exec_driver_sql(bulk.sql, parameters)
        except self.translate.catches as e:
            raise self.translate(e, dangling=dangling) from e

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Open a SAVEPOINT; an exception rolls back to it and propagates.

        After a failed statement PostgreSQL refuses everything until a
        rollback; rolling back to the savepoint makes the transaction usable
        again.
        """
        try:
            nested = self.connection.begin_nested()
        except self.translate.catches as e:
            raise self.translate(e) from e
        try:
            yield
        except BaseException:
            end_transaction(nested, self.translate, commit=False)
            raise
        end_transaction(nested, self.translate, commit=True)


def end_transaction(
    tx: RootTransaction | NestedTransaction, translate: Translator, *, commit: bool
) -> None:
    """Commit or roll back ``tx``, translating what the driver raises."""
    if commit:
        try:
            tx.commit()
        except translate.catches as e:
            raise translate(e) from e
        return
    if tx.is_active:
        # A failed rollback (a dropped connection) must not hide the error
        # that caused it; the connection is discarded when it is closed.
        with contextlib.suppress(*translate.catches):
            tx.rollback()

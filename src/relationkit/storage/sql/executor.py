"""Running statements inside a transaction, with every failure translated.

:class:`Executor` is the only way the repositories reach the database: it
fetches results completely inside its guard, refuses writes in a read
transaction (as the memory backend does), and raises what the store's
:class:`~relationkit.storage.sql.translate.Translator` makes of any error.

In a transaction that may bypass SQLAlchemy's execution (SQLite, nothing
watching: see :mod:`~relationkit.storage.sql.direct`), queries with a
direct form and the bulk INSERTs run on the DBAPI cursor; their failures
come out as SQLAlchemy's would, and are translated the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import NestedTransaction, RootTransaction

from relationkit.errors import StorageError
from relationkit.storage.sql.bulk import BulkInsert
from relationkit.storage.sql.direct import Params
from relationkit.storage.sql.direct import run as run_direct
from relationkit.storage.sql.queries import Query
from relationkit.storage.sql.translate import Translator

__all__ = ["Executor", "end_transaction"]


class Executor:
    """Run statements on one connection, translating every failure.

    Results are fully fetched inside the guard, because SQLite reports some
    errors (busy, locked) while rows are being stepped through. Rows are read
    by attribute name (SQLAlchemy rows, or named tuples on the direct path).

    Args:
        connection: the transaction's connection.
        translate: the store's :class:`Translator`.
        writable: False in a read transaction; writes then raise StorageError,
            as on the memory backend.
        direct: run queries that have a direct form, and bulk INSERTs, on the
            DBAPI cursor (see :mod:`~relationkit.storage.sql.direct`).
    """

    __slots__ = ("connection", "direct", "translate", "writable")

    def __init__(
        self,
        connection: Connection,
        translate: Translator,
        *,
        writable: bool,
        direct: bool = False,
    ) -> None:
        self.connection = connection
        self.translate = translate
        self.writable = writable
        self.direct = direct

    def rows(self, query: Query, params: Mapping[str, Any] | None = None) -> Sequence[Any]:
        """Run a query and return all its rows."""
        direct = query.direct
        try:
            if direct is not None and self.direct:
                return direct.fetch(self.connection, params)
            return self.connection.execute(query.statement, params).all()
        except self.translate.catches as e:
            raise self.translate(e) from e

    def scalar(self, query: Query, params: Mapping[str, Any] | None = None) -> Any:
        """Run a query and return the first column of its first row (or None)."""
        found = self.rows(query, params)
        return found[0][0] if found else None

    def write(
        self,
        query: Query,
        params: Params = None,
        *,
        dangling: Callable[[], Exception] | None = None,
    ) -> None:
        """Run an UPDATE (one parameter set, or many as one executemany).

        Args:
            query: the DML statement.
            params: one mapping, or a non-empty list for an executemany.
            dangling: the error for a foreign key violation (see :class:`Translator`).

        Raises:
            StorageError: in a read-only transaction, or if the database fails.
        """
        if not self.writable:
            raise StorageError("write attempted in a read-only transaction")
        direct = query.direct
        try:
            if direct is not None and self.direct:
                direct.execute(self.connection, params)
            else:
                self.connection.execute(query.statement, params)
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
            if self.direct:
                run_direct(self.connection, bulk.sql, parameters, many=True)
            else:
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
        except BaseException as e:
            # A failed COMMIT leaves the transaction attached to the
            # connection: roll it back, or the pool hands it out still open
            # (SQLite keeps its write lock; PostgreSQL would commit the
            # failed work with the next transaction on that connection).
            with contextlib.suppress(*translate.catches):
                tx.rollback()
            if isinstance(e, translate.catches):
                raise translate(e) from e
            raise
        return
    if tx.is_active:
        # A failed rollback (a dropped connection) must not hide the error
        # that caused it; the connection is discarded when it is closed.
        with contextlib.suppress(*translate.catches):
            tx.rollback()

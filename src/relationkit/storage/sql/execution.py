"""Running statements inside a transaction, with every failure translated.

:class:`Executor` is the only way the repositories reach the database. It
runs SQLAlchemy statements through ``Connection.execute`` (so the compiled
cache, ``schema_translate_map``, execution options, statement events and
logging all apply), fetches results completely inside its guard (SQLite
reports busy and locked while rows are stepped through), refuses writes in
a read transaction (as the memory backend does), and raises what the
store's :class:`~relationkit.storage.sql.translate.Translator` makes of any
error. A list of parameter sets is one executemany: SQLAlchemy's
``insertmanyvalues`` batches it where the dialect benefits.

With the store's :class:`~relationkit.storage.sql.direct.DirectStatements`,
a statement object seen before runs on the DB-API cursor instead, with the
same SQL, conversions, rows, rowcounts and errors; whenever that cannot be
guaranteed (an event listener, SQL logging, an expanding parameter, ...) it
goes through ``Connection.execute`` as above.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Executable
from sqlalchemy.engine import CursorResult, NestedTransaction, RootTransaction

from relationkit.errors import StorageError
from relationkit.storage.sql.direct import DirectStatements
from relationkit.storage.sql.queries.inserts import BulkInsert
from relationkit.storage.sql.translate import Translator

__all__ = ["Executor", "end_transaction", "guarded"]

T = TypeVar("T")
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


def guarded(translate: Translator, work: Callable[[], T], *, dangling: str | None = None) -> T:
    """Return ``work()``; raise a relationkit error for any database failure.

    The translated error is raised after the ``except`` block, so the raw
    error (which may quote values) is neither its cause nor its context.
    """
    try:
        return work()
    except translate.catches as e:
        failure = translate(e, dangling=dangling)
    raise failure


MANY_KEYS = 32
"""A list parameter this long is a lookup of many keys (see ``Executor._plan_for_keys``)."""

_CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"


def _before_12(connection: Connection) -> bool:
    """Whether the PostgreSQL server predates ``plan_cache_mode`` (version 12)."""
    version = connection.dialect.server_version_info
    return version is not None and version < (12,)


class Executor:
    """Run statements on one connection, translating every failure.

    Args:
        connection: the transaction's connection.
        translate: the store's :class:`Translator`.
        writable: False in a read transaction; writes then raise StorageError.
        direct: the store's compiled statements, run on the DB-API cursor;
            None sends everything through ``Connection.execute``.
    """

    __slots__ = ("connection", "custom_plans", "direct", "translate", "writable")

    def __init__(
        self,
        connection: Connection,
        translate: Translator,
        *,
        writable: bool,
        direct: DirectStatements | None = None,
    ) -> None:
        self.connection = connection
        self.translate = translate
        self.writable = writable
        self.direct = direct
        self.custom_plans = connection.dialect.name != "postgresql" or _before_12(connection)

    def _plan_for_keys(self, params: Mapping[str, Any] | None) -> None:
        """Before a lookup of many keys on PostgreSQL, plan for its values (once a transaction).

        psycopg prepares a statement run five times, and PostgreSQL may then
        keep one generic plan for it: for ``key IN (...)`` of a batch that plan
        can be a sequential scan chosen while the table was small, comparing
        every row with every key, ever slower as the table grows (a bulk
        load of 70,000 orders took 43 s instead of 16). ``SET LOCAL
        plan_cache_mode = force_custom_plan`` lets it plan each such lookup
        for its keys, until the transaction ends; lookups of one key are
        left alone.
        """
        if self.custom_plans or not params:
            return
        if any(isinstance(v, list | tuple) and len(v) >= MANY_KEYS for v in params.values()):
            self.custom_plans = True
            execute = self.connection.exec_driver_sql
            guarded(self.translate, lambda: execute(_CUSTOM_PLANS))

    def rows(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Sequence[Any]:
        """Run a query and return all its rows."""
        connection = self.connection
        direct = self.direct
        if direct is not None:
            found = guarded(self.translate, lambda: direct.rows(connection, statement, params))
            if found is not None:
                return found
        self._plan_for_keys(params)
        execute = connection.execute
        return guarded(self.translate, lambda: execute(statement, params).all())

    def scalar(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Any:
        """Run a query and return the first column of its first row (or None)."""
        found = self.rows(statement, params)
        return found[0][0] if found else None

    def write(
        self, statement: Executable, params: Params = None, *, dangling: str | None = None
    ) -> int:
        """Run DML (one parameter set, or a non-empty list as one executemany).

        Args:
            statement: the INSERT, UPDATE or DELETE.
            params: one mapping, or a list of them.
            dangling: the reference a foreign key violation means (SQLite).

        Returns:
            The number of rows matched (summed over an executemany), or -1
            when the driver cannot tell.

        Raises:
            StorageError: in a read-only transaction, or if the database fails.
        """
        if not self.writable:
            raise StorageError("write attempted in a read-only transaction")
        connection = self.connection
        direct = self.direct
        if direct is not None:
            count = guarded(
                self.translate,
                lambda: direct.write(connection, statement, params),
                dangling=dangling,
            )
            if count is not None:
                return count
        if isinstance(params, Mapping):
            self._plan_for_keys(params)
        execute = connection.execute

        def run() -> int:
            result = execute(statement, params)
            count = result.rowcount if isinstance(result, CursorResult) else -1
            result.close()
            return count

        return guarded(self.translate, run, dangling=dangling)

    def insert(
        self, bulk: BulkInsert, rows: list[dict[str, Any]], *, dangling: str | None = None
    ) -> None:
        """Insert ``rows``: one executemany (nothing for an empty list).

        Raises:
            StorageError: in a read-only transaction, or if the database fails.
        """
        if not self.writable:
            raise StorageError("write attempted in a read-only transaction")
        if not rows:
            return
        connection = self.connection
        direct = self.direct

        def run() -> None:
            if direct is None or not direct.insert(connection, bulk, rows):
                bulk.run(connection, rows)

        try:
            guarded(self.translate, run, dangling=dangling)
        except (TypeError, ValueError) as e:
            # A value no column type accepts (a naive datetime), refused by
            # its bind processor before anything reached the database.
            failure = StorageError(f"a value cannot be stored in {bulk.table.name}")
            failure.__cause__ = type(e)(type(e).__name__)
        else:
            return
        raise failure

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Open a SAVEPOINT; an exception rolls back to it and propagates.

        After a failed statement PostgreSQL refuses everything until a
        rollback; rolling back to the savepoint makes the transaction usable
        again.
        """
        nested = guarded(self.translate, self.connection.begin_nested)
        custom_plans = self.custom_plans
        try:
            yield
        except BaseException:
            end_transaction(nested, self.translate, commit=False)
            # A SET LOCAL made inside the savepoint is undone with it.
            self.custom_plans = custom_plans
            raise
        end_transaction(nested, self.translate, commit=True)


def end_transaction(
    tx: RootTransaction | NestedTransaction, translate: Translator, *, commit: bool
) -> None:
    """Commit or roll back ``tx``, translating what the driver raises."""
    if commit:
        failure: BaseException | None = None
        try:
            tx.commit()
        except translate.catches as e:
            failure = translate(e)
        except BaseException:
            _quiet_rollback(tx, translate)
            raise
        if failure is not None:
            # A failed COMMIT leaves the transaction attached to the
            # connection: roll it back, or the pool hands it out still open
            # (SQLite keeps its write lock; PostgreSQL would commit the
            # failed work with the next transaction on that connection).
            _quiet_rollback(tx, translate)
            raise failure
        return
    if tx.is_active:
        # A failed rollback (a dropped connection) must not hide the error
        # that caused it; the connection is discarded when it is closed.
        _quiet_rollback(tx, translate)


def _quiet_rollback(tx: RootTransaction | NestedTransaction, translate: Translator) -> None:
    with contextlib.suppress(*translate.catches):
        tx.rollback()

"""Fixed statements run on SQLite's own cursor while nothing watches the engine.

For a one-row lookup, SQLAlchemy's execution (an execution context, event
checks, a result object) costs several times what SQLite takes to run the
statement. On SQLite (the ``pysqlite`` driver) a store therefore compiles
each fixed statement once into a :class:`Direct`: its SQL, the bind processors
of its parameters, the result processors of its columns. The executor runs it
on the DBAPI cursor with the conversions SQLAlchemy would apply (:func:`run`),
and a failure comes out as SQLAlchemy would raise it (an ``IntegrityError``
wrapping the driver's error, say), so the translation and the callers see
what the SQLAlchemy path gives them.

Only while nothing would miss a statement (:func:`unwatched`): no statement
listener (``before_cursor_execute`` and the like: query logging, tracing and
fault injection keep seeing every statement), no SQL echo, no
``schema_translate_map``. Otherwise, and for statements with expanding
parameters (``IN`` lists), everything runs through SQLAlchemy.
"""

from __future__ import annotations

import logging
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ClauseElement, Connection, Dialect, Select
from sqlalchemy import exc as sa_exc
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["Direct", "Params", "run", "supports_direct", "unwatched"]

_Processor = Callable[[Any], Any]
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
"""A statement's parameters: one mapping, a list of them (executemany), or none."""


def supports_direct(dialect: Dialect) -> bool:
    """Return whether statements may run on this dialect's cursor directly."""
    return dialect.name == "sqlite" and dialect.driver == "pysqlite" and dialect.positional


def unwatched(connection: Connection) -> bool:
    """Return whether nothing observes the statements run on ``connection``.

    True when no listener of SQLAlchemy's statement events (on the
    connection, its engine or their classes), no SQL logging and no
    ``schema_translate_map`` apply: only then may a statement bypass
    SQLAlchemy's execution. Checked at the start of each transaction.
    """
    # A connection's own dispatcher joins its engine's, and is built anew
    # for every connection: consult it only when SQLAlchemy's flag says
    # listeners sit on the connection (or its class).
    events = (
        connection.dispatch
        if getattr(connection, "_has_events", True)
        else connection.engine.dispatch
    )
    if (
        events.before_execute
        or events.after_execute
        or events.before_cursor_execute
        or events.after_cursor_execute
    ):
        return False
    dialect_events = connection.dialect.dispatch
    if dialect_events.handle_error or dialect_events.do_execute or dialect_events.do_executemany:
        return False
    if connection.engine.logger.isEnabledFor(logging.INFO):
        return False  # echo=True, or the sqlalchemy.engine logger at INFO
    return "schema_translate_map" not in connection.get_execution_options()


def run(connection: Connection, sql: str, parameters: Any = (), *, many: bool = False) -> list[Any]:
    """Run ``sql`` on the connection's DBAPI cursor; return the rows it fetched.

    SQLAlchemy's transaction bookkeeping is untouched: the statement runs in
    the transaction the connection is in.

    Args:
        connection: a connection in a transaction.
        sql: the statement, with the driver's placeholders.
        parameters: one parameter tuple, or a list of them with ``many``.
        many: run an executemany.

    Raises:
        sqlalchemy.exc.DBAPIError: the subclass SQLAlchemy would raise for the
            driver's error (a lost connection is invalidated, as SQLAlchemy
            does).
    """
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is None:
        raise sa_exc.ResourceClosedError("the connection is closed")
    cursor = None
    try:
        cursor = dbapi_connection.cursor()
        try:
            if many:
                cursor.executemany(sql, parameters)
            else:
                cursor.execute(sql, parameters)
            return list(cursor.fetchall())
        finally:
            cursor.close()
    except Exception as e:
        dialect = connection.dialect
        if isinstance(e, dialect.loaded_dbapi.Error) and dialect.is_disconnect(
            e, dbapi_connection, cursor
        ):
            connection.invalidate(e)
        raise _wrap(connection, e, sql, parameters, many=many) from e


def _wrap(
    connection: Connection, error: Exception, sql: str, parameters: Any, *, many: bool = False
) -> Exception:
    # What SQLAlchemy raises on its own path: an IntegrityError, an
    # OperationalError, ... for a driver error; a StatementError otherwise.
    dialect = connection.dialect
    return sa_exc.DBAPIError.instance(
        sql,
        parameters,
        error,
        dialect.loaded_dbapi.Error,
        hide_parameters=connection.engine.hide_parameters,
        dialect=dialect,
        ismulti=many,
    )


class Direct:
    """A statement compiled for SQLite, with its parameter and column conversions.

    Build one with :meth:`prepare`.

    Attributes:
        sql: the statement's SQL (``?`` placeholders).
    """

    __slots__ = ("_binds", "_make", "_results", "sql")

    def __init__(
        self,
        sql: str,
        binds: Sequence[tuple[str | None, _Processor | None, Any]],
        columns: Sequence[tuple[str, _Processor | None]],
    ) -> None:
        self.sql = sql
        self._binds = tuple(binds)
        row_type = namedtuple("Row", [key for key, _ in columns])  # type: ignore[misc]
        self._make: Callable[[Any], Any] = row_type._make
        self._results = tuple((i, p) for i, (_, p) in enumerate(columns) if p is not None)

    @classmethod
    def prepare(cls, statement: ClauseElement, dialect: Dialect) -> Direct | None:
        """Compile ``statement`` for ``dialect``; None if it must go through SQLAlchemy.

        A statement qualifies when its parameters are positional and fixed in
        number (no expanding ``IN`` list) and its result columns have distinct
        names usable as attributes.
        """
        compiled = statement.compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
            return None
        if compiled.post_compile_params or compiled.literal_execute_params:
            return None
        binds: list[tuple[str | None, _Processor | None, Any]] = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required:
                binds.append((bind.key, processor, None))
            else:
                # A value fixed in the statement (the 0 of a coalesce).
                value = bind.effective_value
                binds.append((None, None, processor(value) if processor else value))
        columns: list[tuple[str, _Processor | None]] = []
        if isinstance(statement, Select):
            for column in statement.selected_columns:
                key = column.key
                if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
                    return None
                processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
                columns.append((key, processor))
            if len({key for key, _ in columns}) != len(columns):
                return None
        return cls(compiled.string, binds, columns)

    def fetch(self, connection: Connection, params: Mapping[str, Any] | None) -> list[Any]:
        """Run the query on ``connection``'s cursor and return its converted rows.

        Raises:
            sqlalchemy.exc.StatementError: a parameter is missing or refused
                by its column type.
            sqlalchemy.exc.DBAPIError: the database failed (see :func:`run`).
        """
        try:
            arguments = self.parameters(params)
        except Exception as e:
            raise _wrap(connection, e, self.sql, params) from e
        return self.rows(run(connection, self.sql, arguments))

    def execute(self, connection: Connection, params: Params) -> None:
        """Run the statement on ``connection``'s cursor: once, or once per mapping.

        Raises:
            sqlalchemy.exc.StatementError: a parameter is missing or refused
                by its column type.
            sqlalchemy.exc.DBAPIError: the database failed (see :func:`run`).
        """
        arguments: Any
        try:
            if params is None or isinstance(params, Mapping):
                many, arguments = False, self.parameters(params)
            else:
                many, arguments = True, [self.parameters(p) for p in params]
        except Exception as e:
            raise _wrap(connection, e, self.sql, params) from e
        run(connection, self.sql, arguments, many=many)

    def parameters(self, params: Mapping[str, Any] | None) -> tuple[Any, ...]:
        """Return the driver's parameter tuple for one set of named values.

        Raises:
            KeyError: a parameter is missing.
            ValueError, TypeError: a value its column type refuses.
        """
        given = params if params is not None else {}
        out = []
        for key, processor, value in self._binds:
            if key is None:
                out.append(value)
            elif processor is None:
                out.append(given[key])
            else:
                out.append(processor(given[key]))
        return tuple(out)

    def rows(self, fetched: Sequence[Sequence[Any]]) -> list[Any]:
        """Return the fetched rows converted, as named tuples (read by attribute)."""
        make = self._make
        results = self._results
        if not results:
            return [make(row) for row in fetched]
        out = []
        for row in fetched:
            values = list(row)
            for index, processor in results:
                values[index] = processor(values[index])
            out.append(make(values))
        return out

"""Statements seen before, run straight on the DB-API cursor as SQLAlchemy would run them.

``Connection.execute`` costs about 16 µs per statement over the driver's own
few (distilling parameters, the compiled-cache look-up, an execution context,
a cursor result); a redemption sends a dozen statements. The repositories
send the same statement objects (built once per store) again and again, so
:class:`DirectStatements` compiles each one at its second use and keeps what
SQLAlchemy would do with it (see :mod:`~relationkit.storage.sql.prepared`): the
SQL string (``schema_translate_map`` rendered in), the order of its
parameters with their bind processors, and the result columns' processors.
Later executions go to the transaction's DB-API cursor; rows come back as
SQLAlchemy ``Row`` objects (by position and by name), and a driver error is
wrapped and acted on as SQLAlchemy does: ``DBAPIError.instance``, and a
disconnect invalidates the connection and the pool.

Whatever could make the outcome differ goes through ``Connection.execute``
instead (the caller's slow path, chosen before anything reaches the
database): statement or dialect execution events (a host's tracing, a
statement counter), ``handle_error`` listeners, SQL logging, execution
options other than the known ones, an inactive or invalidated transaction,
a driver not checked here (only pysqlite and psycopg), and each statement
the plans refuse.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, NoReturn

from sqlalchemy import Connection
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine.interfaces import BindTyping, Dialect

from relationkit.storage.sql.dialects.sqlite import WRITE_OPTION
from relationkit.storage.sql.prepared import BulkPlan, Plan, plan_bulk, plan_statement
from relationkit.storage.sql.queries.inserts import BulkInsert

__all__ = ["DirectStatements"]

LIMIT = 256
"""Entries kept (prepared, and seen once); a full table starts again from empty."""

_DRIVERS = frozenset({("sqlite", "pysqlite"), ("postgresql", "psycopg")})
_OPTIONS = frozenset(
    {"schema_translate_map", "isolation_level", "logging_token", "compiled_cache", WRITE_OPTION}
)
_REFUSED: Any = object()  # a statement the plans refuse, kept so it is not compiled again
_MISSING: Any = object()


class DirectStatements:
    """The compiled statements of one store, and their execution on the DB-API cursor.

    Shared by every transaction and thread of the store: look-ups read a
    plain dict; compiling and storing take a lock. Each method returns
    None (or False) when the caller must use ``Connection.execute``; it then
    has sent nothing to the database.
    """

    def __init__(self) -> None:
        self._plans: dict[Hashable, tuple[object, Any]] = {}
        self._seen: dict[Hashable, weakref.ref[Any]] = {}
        self._lock = threading.Lock()
        self._options: tuple[object, tuple[Any, Hashable] | None] = (None, None)

    def __len__(self) -> int:
        return len(self._plans)

    # -- the three kinds of call ----------------------------------------------

    def rows(
        self, connection: Connection, statement: object, params: Mapping[str, Any] | None
    ) -> list[Any] | None:
        """Return the rows of a SELECT (or DML with RETURNING), or None for the slow path."""
        found = self._single(connection, statement, params)
        if found is None or not found[0].returns_rows:
            return None
        plan, driver_params = found
        cursor = self._execute(connection, plan.sql, driver_params, many=False)
        return self._fetch(connection, plan, cursor)

    def write(self, connection: Connection, statement: object, params: Any) -> int | None:
        """Run DML (one parameter set or an executemany); return the rowcount, or None."""
        if isinstance(params, list | tuple) and len(params) > 1:
            found = self._many(connection, statement, list(params))
        else:
            one = params[0] if isinstance(params, list | tuple) and params else params
            found = self._single(connection, statement, one or None)
        if found is None or not found[0].dml:
            return None
        plan, driver_params = found
        cursor = self._execute(connection, plan.sql, driver_params, many=plan.many)
        if plan.count_after_close:
            _close(cursor)
        count: int = cursor.rowcount
        if not plan.count_after_close:
            _close(cursor)
        return count

    def insert(self, connection: Connection, bulk: BulkInsert, rows: list[dict[str, Any]]) -> bool:
        """Run ``bulk`` as :meth:`BulkInsert.run` would; return False for the slow path.

        Raises:
            ValueError: a value a column's bind processor refuses (as BulkInsert).
            TypeError: likewise.
        """
        context = self._context(connection)
        if context is None:
            return False
        translate_map, translate_key = context
        key = (id(bulk), "bulk", connection.dialect.name, translate_key)
        plan: BulkPlan | None = self._find(
            key, bulk, lambda: plan_bulk(bulk, connection.dialect, translate_map)
        )
        if plan is None:
            return False
        params = plan.convert(rows)
        if len(params) == 1:
            self._execute(connection, plan.sql, params[0], many=False)
        else:
            self._execute(connection, plan.sql, params, many=True)
        return True

    # -- plans ----------------------------------------------------------------

    def _single(
        self, connection: Connection, statement: object, params: Mapping[str, Any] | None
    ) -> tuple[Plan, Any] | None:
        context = self._context(connection)
        if context is None:
            return None
        keys = _column_keys(statement, params)
        plan = self._plan(connection, statement, context, keys, many=False)
        if plan is None:
            return None
        bound = _bind(plan, params or {})
        return None if bound is _MISSING else (plan, bound)

    def _many(
        self, connection: Connection, statement: object, params: list[Mapping[str, Any]]
    ) -> tuple[Plan, Any] | None:
        context = self._context(connection)
        if context is None:
            return None
        keys = _column_keys(statement, params[0])
        plan = self._plan(connection, statement, context, keys, many=True)
        if plan is None:
            return None
        bound = [_bind(plan, p) for p in params]
        return None if any(b is _MISSING for b in bound) else (plan, bound)

    def _plan(
        self,
        connection: Connection,
        statement: object,
        context: tuple[Any, Hashable],
        keys: tuple[str, ...] | None,
        *,
        many: bool,
    ) -> Plan | None:
        dialect = connection.dialect
        translate_map, translate_key = context
        key = (id(statement), dialect.name, translate_key, keys, many)
        plan: Plan | None = self._find(
            key,
            statement,
            lambda: plan_statement(statement, dialect, translate_map, keys, many=many),
        )
        return plan

    def _find(self, key: Hashable, owner: object, build: Callable[[], Any]) -> Any:
        """Return the plan for ``key`` (None: slow path); compile at the second sighting.

        Plans hold their statement, so its ``id`` cannot be reused while
        they are kept; a first sighting holds it weakly (a reused ``id`` then
        finds a dead reference, a first sighting again).
        """
        found = self._plans.get(key)
        if found is not None and found[0] is owner:
            return None if found[1] is _REFUSED else found[1]
        with self._lock:
            seen = self._seen.get(key)
            if seen is None or seen() is not owner:
                if len(self._seen) >= LIMIT:
                    self._seen = {}
                # Weakly: a statement built for one call (with its values)
                # is not kept alive by having been seen once.
                self._seen[key] = weakref.ref(owner)
                return None
            del self._seen[key]
            try:
                plan = build()
            except Exception:
                plan = None  # compiling failed: the slow path raises what SQLAlchemy says
            plans = self._plans if len(self._plans) < LIMIT else {}
            plans[key] = (owner, _REFUSED if plan is None else plan)
            self._plans = plans
            return plan

    # -- the connection's state -----------------------------------------------

    def _context(self, connection: Connection) -> tuple[Any, Hashable] | None:
        """Return ``(schema_translate_map, its key)`` if the cursor may be used directly."""
        options = connection.get_execution_options()
        memo = self._options
        if memo[0] is options:
            known = memo[1]
        else:
            known = None
            if options.keys() <= _OPTIONS:
                translate_map = options.get("schema_translate_map") or None
                translate_key = (
                    tuple(sorted(translate_map.items(), key=repr)) if translate_map else None
                )
                known = (translate_map, translate_key)
            self._options = (options, known)
        if known is None or not _quiet(connection):
            return None
        if connection.invalidated or not connection.in_transaction():
            return None  # the slow path raises what SQLAlchemy says
        nested = connection.get_nested_transaction()
        if nested is not None and not nested.is_active:
            return None
        return known

    # -- the cursor -----------------------------------------------------------

    def _execute(self, connection: Connection, sql: str, params: Any, *, many: bool) -> Any:
        fairy = connection.connection
        cursor = None
        try:
            cursor = fairy.cursor()
            if many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
        except BaseException as e:
            _fail(connection, cursor, e, sql, params, many=many, wrap_any=cursor is None)
        return cursor

    def _fetch(self, connection: Connection, plan: Plan, cursor: Any) -> list[Any]:
        try:
            description = cursor.description
            fetched = cursor.fetchall()
        except BaseException as e:
            # As SQLAlchemy: an error while rows are fetched names no statement.
            _fail(connection, cursor, e, None, None, many=False, wrap_any=False)
        _close(cursor)
        return plan.load(connection.dialect, description, fetched)


def _quiet(connection: Connection) -> bool:
    """Return whether nothing would observe or change a statement's execution."""
    if connection.engine.logger.isEnabledFor(logging.INFO):
        return False
    # Private flags (SQLAlchemy 2.0 and 2.1); without them, assume listeners.
    if getattr(connection, "_has_events", True) or getattr(connection.engine, "_has_events", True):
        d = connection.dispatch
        if d.before_execute or d.after_execute or d.before_cursor_execute or d.after_cursor_execute:
            return False
    dialect: Any = connection.dialect
    if (dialect.name, dialect.driver) not in _DRIVERS or dialect.is_async:
        return False
    if dialect.bind_typing is BindTyping.SETINPUTSIZES:
        return False
    if getattr(dialect, "_has_events", True):
        dd = dialect.dispatch
        if dd.do_execute or dd.do_executemany or dd.do_execute_no_params or dd.handle_error:
            return False
        if dd.do_setinputsizes:
            return False
    return True


def _column_keys(statement: object, params: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    # An INSERT or UPDATE compiles differently with the parameter names (as
    # Connection.execute, the first parameter set's): they are part of its key.
    if getattr(statement, "is_insert", False) or getattr(statement, "is_update", False):
        return tuple(sorted(params)) if params else ()
    return None


def _bind(plan: Plan, params: Mapping[str, Any]) -> Any:
    """Return the driver's parameters, processed; ``_MISSING`` if a required one is absent."""
    values: list[Any] = []
    append = values.append
    try:
        for key, name, process, default, required in plan.slots:
            if key in params:
                value = params[key]
            elif name in params:
                value = params[name]
            elif required:
                return _MISSING  # the slow path raises SQLAlchemy's error
            else:
                value = default
            append(value if process is None else process(value))
    except Exception:
        # A value a type refuses: the slow path raises it as SQLAlchemy does.
        return _MISSING
    if plan.names is None:
        return plan.sequence(values)
    return dict(zip(plan.names, values, strict=True))


def _close(cursor: Any) -> None:
    try:
        cursor.close()
    except Exception:
        logging.getLogger(__name__).debug("closing a cursor failed", exc_info=True)


def _fail(
    connection: Connection,
    cursor: Any,
    error: BaseException,
    statement: str | None,
    params: Sequence[Any] | Mapping[str, Any] | None,
    *,
    many: bool,
    wrap_any: bool,
) -> NoReturn:
    """Raise ``error`` as ``Connection._handle_dbapi_exception`` would.

    A DB-API error is wrapped (``DBAPIError.instance``); a disconnect (the
    dialect says so, or an exit exception cut the statement short)
    invalidates the connection and, for a disconnect, every connection the
    pool holds from before. The cursor is closed.
    """
    dialect: Dialect = connection.dialect
    driver_error = dialect.loaded_dbapi.Error
    exiting = not isinstance(error, Exception)
    is_driver = isinstance(error, driver_error)
    fairy = None if connection.closed or connection.invalidated else connection.connection
    open_ = not connection.closed
    disconnect = (
        is_driver and open_ and dialect.is_disconnect(error, fairy, cursor)  # type: ignore[arg-type]
    ) or (exiting and open_)
    wrapped: BaseException | None = None
    if is_driver or (wrap_any and not exiting and not isinstance(error, sa_exc.StatementError)):
        wrapped = sa_exc.DBAPIError.instance(
            statement,
            params,
            error,
            driver_error,
            hide_parameters=connection.engine.hide_parameters,
            connection_invalidated=disconnect,
            dialect=dialect,
            ismulti=many,
        )
    if cursor is not None:
        # Closed on a disconnect too (SQLAlchemy leaves it): a SQLite cursor
        # kept alive by the traceback would make the connection's close wait
        # for it, holding the transaction's lock.
        _close(cursor)
    if disconnect and fairy is not None:
        if not exiting:
            # What SQLAlchemy does: connections pooled before the failure are
            # replaced at their next checkout.
            connection.engine.pool._invalidate(fairy, error)
        connection.invalidate(error)
    if wrapped is not None:
        raise wrapped.with_traceback(error.__traceback__) from error
    raise error

"""What a statement compiles to, kept to run it again on the DB-API cursor.

:func:`plan_statement` compiles a SQLAlchemy statement once, as
``Connection.execute`` would for the same dialect, ``schema_translate_map``,
parameter names and executemany flag, and keeps what an execution needs:
the SQL string, one slot per driver parameter (the caller's key, the value
SQLAlchemy would use when the caller gives none, the type's bind processor)
and, for rows, the result columns' types and names. It returns None for
every statement whose execution does more than that, so that it keeps
going through SQLAlchemy: expanding (IN list) or literal-execute
parameters, callable bind values, Python-side column defaults, implicit
RETURNING, insertmanyvalues batching, RETURNING in an executemany,
escaped parameter names, statement execution options, textual or
ambiguous result columns.

:func:`plan_bulk` does the same for a :class:`BulkInsert`, with the SQL
string and conversions :meth:`BulkInsert.run` uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.result import result_tuple
from sqlalchemy.sql.elements import ClauseElement

from relationkit.storage.sql.queries.inserts import BulkInsert, compile_insert, convert_rows

__all__ = ["BulkPlan", "Plan", "plan_bulk", "plan_statement"]

_Slot = tuple[str, str, Callable[[Any], Any] | None, Any, bool]
_NOTHING = object()


class Plan:
    """A compiled statement: its SQL, its parameter slots and its result columns.

    ``slots`` are ``(key, name, bind processor, default, required)`` in the
    driver's order; ``names`` the driver's parameter names (None for a
    positional paramstyle, where ``sequence`` builds the parameters).
    """

    __slots__ = (
        "_fields",
        "_make_row",
        "_result",
        "_types",
        "count_after_close",
        "dml",
        "many",
        "names",
        "returns_rows",
        "sequence",
        "slots",
        "sql",
    )

    def __init__(
        self,
        *,
        sql: str,
        slots: tuple[_Slot, ...],
        names: tuple[str, ...] | None,
        sequence: Callable[[list[Any]], Any],
        many: bool,
        dml: bool,
        count_after_close: bool,
        columns: Sequence[tuple[str, Any]] | None,
    ) -> None:
        self.sql = sql
        self.slots = slots
        self.names = names
        self.sequence = sequence
        self.many = many
        self.dml = dml
        self.returns_rows = columns is not None
        # SQLAlchemy keeps the rowcount of an UPDATE or DELETE (or with
        # RETURNING) before it closes the cursor, and reads an INSERT's from
        # the closed cursor (psycopg then says -1).
        self.count_after_close = count_after_close
        self._fields = tuple(name for name, _ in columns or ())
        self._types = tuple(type_ for _, type_ in columns or ())
        self._make_row = result_tuple(self._fields) if columns is not None else tuple
        self._result: tuple[tuple[Any, ...], tuple[tuple[int, Any], ...]] | None = None

    def load(self, dialect: Dialect, description: Any, fetched: Sequence[Any]) -> list[Any]:
        """Return ``fetched`` as SQLAlchemy would: each column processed, each row a ``Row``.

        The result processors depend on the type code the driver reports
        for each column (as SQLAlchemy looks them up); they are found once
        and again only if the codes change.

        Raises:
            sqlalchemy.exc.InvalidRequestError: the driver reports other
                columns than the statement selects.
        """
        codes = tuple(d[1] for d in description or ())
        result = self._result
        if result is None or result[0] != codes:
            if len(codes) != len(self._types):
                raise sa_exc.InvalidRequestError("the result columns do not match the statement")
            found = []
            for i, type_ in enumerate(self._types):
                processor = type_.dialect_impl(dialect).result_processor(dialect, codes[i])
                if processor is not None:
                    found.append((i, processor))
            result = self._result = (codes, tuple(found))
        processors = result[1]
        make = self._make_row
        if not processors:
            return [make(row) for row in fetched]
        rows = []
        for row in fetched:
            values = list(row)
            for i, processor in processors:
                values[i] = processor(values[i])
            rows.append(make(values))
        return rows


class BulkPlan:
    """A :class:`BulkInsert` compiled for one dialect and ``schema_translate_map``."""

    __slots__ = ("_order", "_processors", "sql")

    def __init__(
        self,
        sql: str,
        order: Callable[[dict[str, Any]], Any] | None,
        processors: Sequence[tuple[str, Callable[[Any], Any]]],
    ) -> None:
        self.sql = sql
        self._order = order
        self._processors = tuple(processors)

    def convert(self, rows: list[dict[str, Any]]) -> list[Any]:
        """Return the driver's parameters for ``rows`` (converted in place, as BulkInsert.run).

        Raises:
            ValueError: a value a column's bind processor refuses.
            TypeError: likewise.
        """
        convert_rows(self._processors, rows)
        order = self._order
        return rows if order is None else [order(r) for r in rows]


def plan_bulk(
    bulk: BulkInsert, dialect: Dialect, translate_map: Mapping[Any, Any] | None
) -> BulkPlan:
    """Compile ``bulk`` as :meth:`BulkInsert.run` does (same SQL, same conversions)."""
    sql, order, processors = compile_insert(bulk.table, bulk.keys, dialect, translate_map)
    return BulkPlan(sql, order, processors)


def plan_statement(
    statement: object,
    dialect: Dialect,
    translate_map: Mapping[Any, Any] | None,
    keys: tuple[str, ...] | None,
    *,
    many: bool,
) -> Plan | None:
    """Compile ``statement`` as ``Connection.execute`` would; None if it needs SQLAlchemy.

    Args:
        statement: a Core statement.
        dialect: the connection's dialect.
        translate_map: the connection's ``schema_translate_map`` (rendered in).
        keys: the parameter names of an INSERT or UPDATE (its columns).
        many: compile for an executemany.
    """
    if not isinstance(statement, ClauseElement):
        return None
    if statement.get_execution_options():  # type: ignore[attr-defined]
        return None
    compiled: Any = statement.compile(
        dialect=dialect,
        column_keys=list(keys) if keys is not None else None,
        for_executemany=many,
        schema_translate_map=translate_map,
        render_schema_translate=bool(translate_map),
    )
    dml = bool(compiled.isinsert or compiled.isupdate or compiled.isdelete)
    if not dml and not getattr(statement, "is_select", False):
        return None
    if not _plain(compiled, dialect, many=many):
        return None
    slots = _slots(compiled, dialect)
    if slots is None:
        return None
    columns = _columns(compiled) if (not dml or compiled.effective_returning) else None
    if columns is _NOTHING:
        return None
    names = None if compiled.positional else tuple(slot[1] for slot in slots)
    return Plan(
        sql=compiled.string,
        slots=slots,
        names=names,
        sequence=dialect.execute_sequence_format,
        many=many,
        dml=dml,
        count_after_close=bool(compiled.isinsert and not compiled.effective_returning),
        columns=columns,  # type: ignore[arg-type]
    )


def _plain(compiled: Any, dialect: Dialect, *, many: bool) -> bool:
    """Return whether executing ``compiled`` is only sending its string and parameters."""
    if compiled.isplaintext:
        return False
    if compiled.post_compile_params or compiled.literal_execute_params:
        return False  # expanding IN lists, literal-execute: SQL rendered per execution
    if compiled.insert_prefetch or compiled.update_prefetch:
        return False  # Python-side column defaults, computed per execution
    if compiled.implicit_returning:
        return False  # SQLAlchemy fetches the returned keys itself
    if compiled.escaped_bind_names:
        return False
    if many and (
        compiled.effective_returning or getattr(compiled, "_insertmanyvalues", None) is not None
    ):
        return False  # RETURNING in an executemany, or insertmanyvalues batches
    return dialect.paramstyle in ("qmark", "format", "pyformat", "named")


def _slots(compiled: Any, dialect: Dialect) -> tuple[_Slot, ...] | None:
    """Return the parameter slots in the driver's order, or None if one needs SQLAlchemy."""
    by_name: dict[str, list[Any]] = {}
    for bind, name in compiled.bind_names.items():
        by_name.setdefault(name, []).append(bind)
    defaults = compiled.construct_params(_check=False, escape_names=False)
    processors: dict[str, Callable[[Any], Any] | None] = {}
    for name, binds in by_name.items():
        if len({b.key for b in binds}) != 1:
            return None
        processor = None
        for bind in binds:
            if bind.callable is not None or getattr(bind.type, "_is_tuple_type", True):
                return None
            # Last one wins, as SQLAlchemy's own table of bind processors.
            found = bind.type.dialect_impl(dialect).bind_processor(dialect)
            processor = found if found is not None else processor
        processors[name] = processor
    order = compiled.positiontup if compiled.positional else list(by_name)
    if order is None:
        return None
    slots = []
    for name in order:
        binds = by_name[name]
        required = any(b.required for b in binds)
        slots.append((binds[0].key, name, processors[name], defaults.get(name), required))
    return tuple(slots)


def _columns(compiled: Any) -> Sequence[tuple[str, Any]] | object:
    """Return the result columns' ``(key, type)``, or ``_NOTHING`` if SQLAlchemy must match them."""
    try:
        entries = compiled._result_columns
        if not entries or not compiled._ordered_columns or compiled._textual_ordered_columns:
            return _NOTHING
        if compiled._ad_hoc_textual or compiled._loose_column_name_matching:
            return _NOTHING
    except AttributeError:
        return _NOTHING
    columns = [(entry[0], entry[3]) for entry in entries]
    names = [name for name, _ in columns]
    if len(set(names)) != len(names) or not all(isinstance(n, str) for n in names):
        return _NOTHING  # ambiguous names: SQLAlchemy's rows refuse them by name
    return columns

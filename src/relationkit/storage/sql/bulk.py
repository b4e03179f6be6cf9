"""Bulk inserts as one driver-level executemany per table.

SQLAlchemy's executemany builds and processes every parameter set in Python
(``construct_params``), which costs more than the database's own work on a
large backfill. :class:`BulkInsert` compiles the INSERT once per store and
dialect, applies the columns' bind processors (UTC datetimes, JSON) itself,
and hands the rows to the driver's ``executemany`` through
``Connection.exec_driver_sql``: same SQL, same conversions, a fraction of the
overhead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

import attrs
from sqlalchemy import Dialect, Table

from relationkit.storage.sql.tables import Tables

__all__ = ["BulkInsert", "Inserts", "build_inserts"]

_NOTHING = object()


class BulkInsert:
    """A compiled INSERT of ``keys`` into ``table`` for one dialect.

    Args:
        table: the table.
        keys: the columns every row gives, in any order (an autoincrement
            column is left out so that the database numbers the rows).
        dialect: the engine's dialect.
    """

    def __init__(self, table: Table, keys: Sequence[str], dialect: Dialect) -> None:
        compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
        self.table = table
        self.sql = compiled.string
        self._processors: list[tuple[str, Callable[[Any], Any]]] = []
        for key in keys:
            column_type = table.c[key].type.dialect_impl(dialect)
            processor = column_type.bind_processor(dialect)
            if processor is not None:
                self._processors.append((key, processor))
        positions = compiled.positiontup if compiled.positional else None
        # itemgetter of one key returns the bare value, not a 1-tuple.
        self._order: Callable[[dict[str, Any]], Any] | None = None
        if positions is not None:
            getter = itemgetter(*positions)
            self._order = (lambda row: (getter(row),)) if len(positions) == 1 else getter

    def parameters(self, rows: list[dict[str, Any]]) -> list[Any]:
        """Return the driver parameters for ``rows`` (the dicts are converted in place)."""
        for key, processor in self._processors:
            # Rows of one batch often share a value (the transaction's time in
            # every recorded_at): convert each distinct object once in a row.
            last_in: Any = _NOTHING
            last_out: Any = None
            for row in rows:
                value = row[key]
                if value is not last_in:
                    last_in, last_out = value, processor(value)
                row[key] = last_out
        if self._order is None:
            return rows
        order = self._order
        return [order(row) for row in rows]


@attrs.frozen(kw_only=True)
class Inserts:
    """The compiled INSERT of every table, for one store's dialect."""

    accounts: BulkInsert
    customers: BulkInsert
    stage_changes: BulkInsert
    interactions: BulkInsert
    purchases: BulkInsert
    purchase_lines: BulkInsert
    refunds: BulkInsert
    ledger_entries: BulkInsert
    ledger_allocations: BulkInsert
    idempotency: BulkInsert


def build_inserts(tables: Tables, dialect: Dialect) -> Inserts:
    """Compile the INSERT of every table of ``tables`` for ``dialect``."""

    def compile_insert(table: Table) -> BulkInsert:
        # "seq" columns are numbered by the database, in insertion order.
        keys = [c.key for c in table.columns if c.key != "seq"]
        return BulkInsert(table, keys, dialect)

    return Inserts(
        **{
            field.name: compile_insert(getattr(tables, field.name))
            for field in attrs.fields(Inserts)
        }
    )

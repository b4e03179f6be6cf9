"""Opening a database: create the tables in an empty one, else check them whole.

relationkit creates its tables only in a store that holds none of them. A
store that holds some is checked, in one inspection, against what this
version declares: every table, column, primary key, unique constraint,
reference and index, and the meta row with the schema version. Whatever is
missing is reported in :class:`~relationkit.errors.SchemaMismatch` and
nothing is created or repaired: re-creating a dropped allocations table would
hand spent points back, a dropped idempotency table would let an old key
credit again, and a re-stamped version would hide both.

A store recording another schema version is refused before anything else is
looked at; migrating it is the job of the shipped migrations, not of opening.
A version the migrations upgrade from (:data:`UPGRADABLE`) is refused with
the exact command that upgrades it (:func:`upgrade_command`).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, inspect, select
from sqlalchemy.engine import Inspector

from relationkit.errors import SchemaMismatch, StorageError
from relationkit.storage.sql.dialects.postgresql import lock_schema
from relationkit.storage.sql.schema.tables import SCHEMA_VERSION, Tables

__all__ = ["UPGRADABLE", "VERSION_KEY", "prepare", "upgrade_command"]

VERSION_KEY = "schema_version"

UPGRADABLE = frozenset({"2", "3", "4", "5", "6", "7", "8"})
"""Recorded versions ``relationkit db upgrade`` takes to :data:`SCHEMA_VERSION`."""

DEFAULT_PREFIX = "rk_"


def upgrade_command(url: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Return the shell command that upgrades the store at ``url`` with tables ``prefix``.

    Args:
        url: the database URL, its password already hidden by the caller.
        prefix: the store's table prefix (named only when not the default).
    """
    command = f"relationkit db upgrade {shlex.quote(url)}"
    if prefix != DEFAULT_PREFIX:
        command += f" --prefix {shlex.quote(prefix)}"
    return command


def prepare(connection: Connection, tables: Tables, *, create: bool) -> None:
    """Make sure the database holds our tables, whole, at our schema version.

    Runs inside the caller's write transaction, so a failure leaves nothing
    behind (DDL is transactional on PostgreSQL and on SQLite). Driver errors
    propagate for the caller to translate.

    Args:
        connection: a connection in a write transaction.
        tables: the store's tables.
        create: create the tables in an empty store; else only check.

    Raises:
        SchemaMismatch: another version is recorded, or the tables are
            partial or altered (``problems`` lists what is missing).
        StorageError: the store is empty and ``create`` is False.
    """
    if connection.dialect.name == "postgresql":
        lock_schema(connection, tables.meta.fullname)
    translate_map: dict[str | None, str | None] = (
        connection.get_execution_options().get("schema_translate_map") or {}
    )

    def schema_of(table: Table) -> str | None:
        return translate_map.get(table.schema, table.schema)

    inspector = inspect(connection)
    present: dict[str | None, set[str]] = {}
    for table in tables.all:
        schema = schema_of(table)
        if schema not in present:
            present[schema] = set(inspector.get_table_names(schema=schema))
    existing = [t for t in tables.all if t.name in present[schema_of(t)]]
    if not existing:
        if not create:
            names = ", ".join(t.name for t in tables.all)
            raise StorageError(
                f"relationkit tables are missing ({names}); "
                "open with create=True or run the migrations"
            )
        tables.meta.metadata.create_all(connection, tables=list(tables.all), checkfirst=False)
        connection.execute(tables.meta.insert().values(key=VERSION_KEY, value=SCHEMA_VERSION))
        return
    meta = tables.meta
    found: str | None = None
    if meta in existing:
        found = connection.execute(
            select(meta.c.value).where(meta.c.key == VERSION_KEY)
        ).scalar_one_or_none()
        if found is not None and found != SCHEMA_VERSION:
            upgrade = None
            if found in UPGRADABLE:
                url = connection.engine.url.render_as_string(hide_password=True)
                upgrade = upgrade_command(url, tables.prefix)
            raise SchemaMismatch(found, SCHEMA_VERSION, upgrade=upgrade)
    problems = [f"table {t.name} is missing" for t in tables.all if t not in existing]
    by_schema: dict[str | None, list[Table]] = {}
    for table in existing:
        by_schema.setdefault(schema_of(table), []).append(table)
    for schema, group in by_schema.items():
        problems += _compare(inspector, schema, group)
    if meta in existing and found is None:
        problems.append(f"table {meta.name} has no {VERSION_KEY} row")
    if problems:
        raise SchemaMismatch(found or "none", SCHEMA_VERSION, problems=problems)


def _compare(inspector: Inspector, schema: str | None, tables: list[Table]) -> list[str]:
    """Return what the stored tables lack of their declaration (one inspection per kind)."""
    names = [t.name for t in tables]
    columns = inspector.get_multi_columns(schema=schema, filter_names=names)
    keys = inspector.get_multi_pk_constraint(schema=schema, filter_names=names)
    uniques = inspector.get_multi_unique_constraints(schema=schema, filter_names=names)
    indexes = inspector.get_multi_indexes(schema=schema, filter_names=names)
    references = inspector.get_multi_foreign_keys(schema=schema, filter_names=names)
    problems: list[str] = []
    for table in tables:
        at = (schema, table.name)
        stored_columns = {c["name"] for c in columns.get(at, [])}
        problems += [
            f"column {table.name}.{c.name} is missing"
            for c in table.columns
            if c.name not in stored_columns
        ]
        stored_pk: Any = keys.get(at) or {}
        stored_key = tuple(stored_pk.get("constrained_columns") or ())
        declared_key = tuple(c.name for c in table.primary_key.columns)
        if stored_key != declared_key:
            problems.append(f"primary key {table.primary_key.name} of {table.name} is missing")
        stored_indexes = indexes.get(at, [])
        unique_sets = {_columns(u) for u in uniques.get(at, [])}
        unique_sets |= {_columns(i) for i in stored_indexes if i.get("unique")}
        unique_names = {u["name"] for u in uniques.get(at, [])}
        for constraint in table.constraints:
            name = str(constraint.name)
            if type(constraint).__name__ == "UniqueConstraint":
                wanted = frozenset(c.name for c in constraint.columns)  # type: ignore[attr-defined]
                if name not in unique_names and wanted not in unique_sets:
                    problems.append(f"unique constraint {name} of {table.name} is missing")
        stored_refs = {(_columns(r), r["referred_table"]) for r in references.get(at, [])}
        for fk in table.foreign_key_constraints:
            wanted_ref = (frozenset(fk.column_keys), fk.referred_table.name)
            if wanted_ref not in stored_refs:
                problems.append(f"reference {fk.name} of {table.name} is missing")
        index_names = {i["name"] for i in stored_indexes}
        problems += [
            f"index {i.name} of {table.name} is missing"
            for i in table.indexes
            if str(i.name) not in index_names
        ]
    return problems


def _columns(item: Any) -> frozenset[str]:
    names: Iterable[str] = item.get("column_names") or item.get("constrained_columns") or ()
    return frozenset(n for n in names if n is not None)

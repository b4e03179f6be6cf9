"""Opening a database: create the tables or check them, and check the version.

The meta table holds ``schema_version``. A database written by another layout
version is refused with :class:`~relationkit.errors.SchemaMismatch` before
anything is created in it; migrating it is the job of the shipped migrations,
not of opening.
"""

from __future__ import annotations

import zlib

from sqlalchemy import Connection, inspect, select, text

from relationkit.errors import SchemaMismatch, StorageError
from relationkit.storage.sql.tables import SCHEMA_VERSION, Tables

__all__ = ["VERSION_KEY", "prepare"]

VERSION_KEY = "schema_version"


def prepare(connection: Connection, tables: Tables, *, create: bool) -> None:
    """Make sure the database holds our tables at our schema version.

    Runs inside the caller's transaction, so a failure leaves nothing behind
    (DDL is transactional on PostgreSQL and on SQLite).

    Args:
        connection: a connection in a write transaction.
        tables: the store's tables.
        create: create missing tables and record the version; else only check.

    Raises:
        SchemaMismatch: the meta table records another version.
        StorageError: tables are missing and ``create`` is False, or the
            version is not recorded.
    """
    if connection.dialect.name == "postgresql":
        # Two processes opening a new database at once would both see the
        # tables missing; the second CREATE would fail. Queue them instead.
        key = zlib.crc32(f"relationkit:{tables.meta.fullname}".encode())
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    inspector = inspect(connection)
    missing = [t for t in tables.all if not inspector.has_table(t.name, schema=t.schema)]
    meta = tables.meta
    if meta not in missing:
        found = connection.execute(
            select(meta.c.value).where(meta.c.key == VERSION_KEY)
        ).scalar_one_or_none()
        if found is not None and found != SCHEMA_VERSION:
            raise SchemaMismatch(found, SCHEMA_VERSION)
    else:
        found = None
    if missing and not create:
        names = ", ".join(t.name for t in missing)
        raise StorageError(
            f"relationkit tables are missing ({names}); open with create=True or run the migrations"
        )
    if missing:
        meta.metadata.create_all(connection, tables=missing, checkfirst=False)
    if found is None:
        if not create:
            raise StorageError("the relationkit meta table records no schema version")
        connection.execute(meta.insert().values(key=VERSION_KEY, value=SCHEMA_VERSION))

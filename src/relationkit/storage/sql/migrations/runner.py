"""Running the shipped revisions programmatically: what ``relationkit db`` calls.

No ``env.py`` and no ``alembic.ini``: :func:`upgrade` builds Alembic's
configuration in memory, points it at :data:`~relationkit.storage.sql.migrations.VERSIONS`,
passes the table prefix to the revisions, and runs them on one connection in
one transaction (DDL is transactional on PostgreSQL and SQLite), so a failed
upgrade leaves the store as it was. The revision reached is recorded in
``<prefix>alembic_version``, apart from any history of the host's own.
Every database failure is raised as a relationkit error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import attrs
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, NullPool, create_engine, inspect, text

from relationkit.errors import SchemaMismatch, StorageError
from relationkit.storage.sql.dialects import sqlite
from relationkit.storage.sql.execution import guarded
from relationkit.storage.sql.migrations import HEAD, PREFIX_KEY, REVISIONS, VERSIONS
from relationkit.storage.sql.schema.check import VERSION_KEY
from relationkit.storage.sql.schema.tables import SCHEMA_VERSION, build_tables, new_metadata
from relationkit.storage.sql.translate import Translator

__all__ = ["Revision", "current", "upgrade"]

T = TypeVar("T")
Target = str | Engine | Connection


@attrs.frozen(kw_only=True)
class Revision:
    """Where a store stands.

    Attributes:
        revision: the relationkit revision recorded in ``<prefix>alembic_version``
            (None: none recorded, e.g. a store ``rk.open`` created).
        schema_version: the version in the store's meta table (None: no store).
    """

    revision: str | None
    schema_version: str | None


def _config(prefix: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(VERSIONS).parent))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", VERSIONS)
    config.attributes[PREFIX_KEY] = prefix
    return config


@contextmanager
def _connected(target: Target) -> Iterator[Connection]:
    """Yield a connection in a write transaction, committed on normal exit."""
    if isinstance(target, Connection):
        if target.in_transaction():
            yield target
        else:
            with target.begin():
                yield target
        return
    engine = (
        create_engine(target, hide_parameters=True, poolclass=NullPool)
        if isinstance(target, str)
        else target
    )
    try:
        sqlite.install(engine, busy_timeout=30.0)
        with engine.connect() as connection:
            connection.execution_options(**{sqlite.WRITE_OPTION: True})
            with connection.begin():
                yield connection
    finally:
        if isinstance(target, str):
            engine.dispose()


def _translated(prefix: str, work: Callable[[], T]) -> T:
    tables = build_tables(new_metadata(), prefix)
    translate = Translator(tables.logical_names, tables.column_names)
    try:
        return guarded(translate, work)
    except CommandError as e:
        failure = StorageError(f"the migration could not run: {e}")
    raise failure


def _recorded(connection: Connection, prefix: str) -> Revision:
    context = MigrationContext.configure(
        connection, opts={"version_table": f"{prefix}alembic_version"}
    )
    heads = context.get_current_heads()
    version: str | None = None
    if inspect(connection).has_table(f"{prefix}meta"):
        version = connection.execute(
            text(f"SELECT value FROM {prefix}meta WHERE key = :key"), {"key": VERSION_KEY}
        ).scalar_one_or_none()
        version = version if version is not None else "none"
    return Revision(revision=heads[0] if heads else None, schema_version=version)


def current(target: Target, *, prefix: str = "rk_") -> Revision:
    """Return the recorded revision and schema version of the store at ``target``.

    Args:
        target: a database URL, or the host's ``Engine`` or ``Connection``.
        prefix: the store's table prefix.

    Raises:
        StorageError: the database cannot be reached.
    """

    def look() -> Revision:
        with _connected(target) as connection:
            return _recorded(connection, prefix)

    return _translated(prefix, look)


def upgrade(target: Target, *, prefix: str = "rk_", revision: str = HEAD) -> Revision:
    """Upgrade the store at ``target`` to ``revision`` (the newest by default).

    An empty database gets every table. A store without a recorded revision
    (``rk.open`` created it) is first stamped with the revision of the
    schema version its meta table records.

    Args:
        target: a database URL, or the host's ``Engine`` or ``Connection``
            (a connection in a transaction: the host commits).
        prefix: the store's table prefix.
        revision: where to stop (``"relationkit_0002"``, or ``relationkit@head``).

    Returns:
        Where the store stands afterwards.

    Raises:
        SchemaMismatch: the meta table records a version no revision produces.
        StorageError: the database failed; nothing was changed.
    """
    config = _config(prefix)
    version_table = f"{prefix}alembic_version"

    def run() -> Revision:
        script = ScriptDirectory.from_config(config)
        with _connected(target) as connection:
            before = _recorded(connection, prefix)
            if before.revision is None and before.schema_version is not None:
                stamp = REVISIONS.get(before.schema_version)
                if stamp is None:
                    raise SchemaMismatch(before.schema_version, SCHEMA_VERSION)
                context = MigrationContext.configure(
                    connection, opts={"version_table": version_table}
                )
                context.stamp(script, stamp)

            def steps(rev: Any, _context: Any) -> Any:
                return script._upgrade_revs(revision, rev)

            with EnvironmentContext(config, script, fn=steps, destination_rev=revision) as env:
                env.configure(connection=connection, version_table=version_table)
                with env.begin_transaction():
                    env.run_migrations()
            return _recorded(connection, prefix)

    return _translated(prefix, run)

"""What the direct-path tests share: a recording DirectStatements, the two executors, a table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

from relationkit.storage.sql.decimals import DecimalText
from relationkit.storage.sql.direct import DirectStatements
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.queries.inserts import BulkInsert
from relationkit.storage.sql.translate import Translator
from relationkit.storage.sql.types import UtcDateTime, json_type, key_type

from .test_sql_store import Backend, _open_backend

__all__ = ["T0", "Recorded", "backend", "paths", "same_rows", "typed", "values_table"]

T0 = pendulum.datetime(2026, 1, 1, tz="UTC")


class Recorded(DirectStatements):
    """DirectStatements that records, per call, whether it ran the statement itself."""

    def __init__(self) -> None:
        super().__init__()
        self.handled: list[bool] = []

    def rows(self, connection: sa.Connection, statement: object, params: Any) -> Any:
        found = super().rows(connection, statement, params)
        self.handled.append(found is not None)
        return found

    def write(self, connection: sa.Connection, statement: object, params: Any) -> Any:
        found = super().write(connection, statement, params)
        self.handled.append(found is not None)
        return found

    def insert(self, connection: sa.Connection, bulk: BulkInsert, rows: Any) -> bool:
        found = super().insert(connection, bulk, rows)
        self.handled.append(found)
        return found


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A SQLite file, or the PostgreSQL test server, with a fresh table prefix."""
    with _open_backend(request.param, tmp_path) as opened:
        yield opened


def values_table(backend: Backend) -> sa.Table:
    """A table with every column type the store uses, and a few generic ones."""
    meta = sa.MetaData()
    parent = sa.Table(
        f"{backend.prefix}parents", meta, sa.Column("id", sa.Integer, primary_key=True)
    )
    table = sa.Table(
        f"{backend.prefix}values",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey(parent.c.id), nullable=True),
        sa.Column("k", key_type(40), unique=True, nullable=True),
        sa.Column("at", UtcDateTime(), nullable=True),
        sa.Column("naive", sa.DateTime(), nullable=True),
        sa.Column("big", sa.BigInteger, nullable=True),
        sa.Column("flag", sa.Boolean(create_constraint=False), nullable=True),
        sa.Column("text", sa.String(200), nullable=True),
        sa.Column("doc", json_type(), nullable=True),
        sa.Column("rate", DecimalText(), nullable=True),
        sa.Column("amount", sa.Numeric(14, 4), nullable=True),
        sa.Column("ratio", sa.Float, nullable=True),
    )
    meta.create_all(backend.engine)
    with backend.engine.begin() as conn:
        conn.execute(parent.insert(), [{"id": 1}, {"id": 2}])
    return table


@contextmanager
def paths(engine: sa.Engine) -> Iterator[tuple[Executor, Executor, Recorded]]:
    """Yield a direct and a SQLAlchemy executor on one connection, in a transaction rolled back."""
    translate = Translator({}, {}, getattr(engine.dialect.loaded_dbapi, "Error", None))
    direct = Recorded()
    with engine.connect() as conn:
        tx = conn.begin()
        try:
            yield (
                Executor(conn, translate, writable=True, direct=direct),
                Executor(conn, translate, writable=True),
                direct,
            )
        finally:
            tx.rollback()


def typed(rows: Any) -> list[list[tuple[type, Any]]]:
    return [[(type(v), v) for v in row] for row in rows]


def same_rows(fast: Executor, slow: Executor, stmt: Any, params: Any = None) -> Any:
    """Return the rows of ``stmt``; fail unless both paths give the same values, types, names."""
    fast.rows(stmt, params)  # the first sighting goes through SQLAlchemy
    direct = fast.rows(stmt, params)
    reference = slow.rows(stmt, params)
    assert typed(reference) == typed(direct)
    assert [r._fields for r in reference] == [r._fields for r in direct]
    assert [r._asdict() for r in reference] == [r._asdict() for r in direct]
    return direct

"""The statements of the loyalty state tables: reads by account, upserts, deletes.

An upsert is ``INSERT ... ON CONFLICT (key) DO UPDATE`` on PostgreSQL and
SQLite (both dialects' ``insert`` build it); on another dialect it is a
DELETE of the keys then an INSERT, in the same transaction, which gives the
same rows. Statements are built on first use per dialect and kept.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from sqlalchemy import (
    Delete,
    Executable,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    false,
    or_,
    select,
    true,
)

from relationkit.storage.sql.schema.tables import Tables

__all__ = ["PointsStatements", "Upsert"]


def _many(name: str) -> Any:
    return bindparam(name, expanding=True)


class Upsert:
    """Insert-or-replace rows of ``table`` by its key columns, per dialect.

    Args:
        table: the table.
        key: the columns that identify a row.
    """

    def __init__(self, table: Table, key: tuple[str, ...]) -> None:
        self.table = table
        self.key = key
        self._by_dialect: dict[str, tuple[Executable, ...]] = {}

    def statements(self, dialect: str) -> tuple[Executable, ...]:
        """Return the statements to run, in order, each with the rows as parameters.

        One ``INSERT ... ON CONFLICT DO UPDATE`` on PostgreSQL and SQLite;
        elsewhere a DELETE by key (``b_<key>`` binds) and a plain INSERT.
        """
        found = self._by_dialect.get(dialect)
        if found is None:
            found = self._by_dialect[dialect] = self._build(dialect)
        return found

    def _build(self, dialect: str) -> tuple[Executable, ...]:
        t = self.table
        keys = [t.c[k] for k in self.key]
        insert: Any
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            gone = delete(t).where(*(c == bindparam(f"b_{c.key}") for c in keys))
            return (gone, t.insert())
        stmt = insert(t)
        changing = {c.key: stmt.excluded[c.key] for c in t.columns if c.key not in self.key}
        return (stmt.on_conflict_do_update(index_elements=keys, set_=changing),)


class PointsStatements:
    """The statements of ``points_state`` and ``open_lots``, each built on first use."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    @cached_property
    def states(self) -> Select[Any]:
        """The state rows of ``account_ids`` (expanding)."""
        p = self._t.points_state
        return select(p).where(p.c.account_id.in_(_many("account_ids")))

    @cached_property
    def lots(self) -> Select[Any]:
        """The open lots of ``account_ids`` (expanding), by account then id."""
        o = self._t.open_lots
        return (
            select(o)
            .where(o.c.account_id.in_(_many("account_ids")))
            .order_by(o.c.account_id, o.c.id)
        )

    @cached_property
    def put_states(self) -> Upsert:
        """Insert or replace state rows by ``account_id``."""
        return Upsert(self._t.points_state, ("account_id",))

    @cached_property
    def put_lots(self) -> Upsert:
        """Insert or replace open lots by ``id``."""
        return Upsert(self._t.open_lots, ("id",))

    @cached_property
    def close_lots(self) -> Delete:
        """Delete the open lots ``ids`` (expanding)."""
        o = self._t.open_lots
        return delete(o).where(o.c.id.in_(_many("ids")))

    def _spendable(self, *, expiring: bool) -> Select[Any]:
        o = self._t.open_lots
        order = o.c.expires_at if expiring else o.c.at
        f: Any = bindparam("f", type_=o.c.at.type)
        i: Any = bindparam("i")
        after = or_(bindparam("first") == true(), order > f, and_(order == f, o.c.id > i))
        has_expiry = o.c.expires_at.is_not(None) if expiring else o.c.expires_at.is_(None)
        return (
            select(o)
            .where(
                o.c.account_id == bindparam("account_id"),
                has_expiry,
                o.c.pending == false(),
                after,
            )
            .order_by(order, o.c.id)
            .limit(bindparam("limit"))
        )

    @cached_property
    def spendable_expiring(self) -> Select[Any]:
        """Non-pending lots of ``account_id`` that expire, soonest first, after a key.

        Binds: ``account_id``, ``limit``, ``first`` (True for the first page),
        and the keyset ``f`` (expiry) and ``i`` (id). Served by the
        ``(account_id, expires_at, id)`` index.
        """
        return self._spendable(expiring=True)

    @cached_property
    def spendable_never(self) -> Select[Any]:
        """Non-pending lots of ``account_id`` that never expire, oldest first, after a key.

        Binds as :attr:`spendable_expiring`, ``f`` being the opening instant.
        Served by the ``(account_id, at, id)`` index.
        """
        return self._spendable(expiring=False)

    @cached_property
    def due_unlocks(self) -> Select[Any]:
        """Pending lots of ``account_id`` that unlock by ``as_of`` (the unlock index)."""
        o = self._t.open_lots
        as_of = bindparam("as_of", type_=o.c.at.type)
        return select(o).where(
            o.c.account_id == bindparam("account_id"),
            o.c.available_at <= as_of,
            o.c.pending == true(),
        )

    @cached_property
    def due_expiries(self) -> Select[Any]:
        """Spendable lots of ``account_id`` that expire by ``as_of`` (the expiry index)."""
        o = self._t.open_lots
        as_of = bindparam("as_of", type_=o.c.at.type)
        return select(o).where(
            o.c.account_id == bindparam("account_id"),
            o.c.expires_at <= as_of,
            o.c.pending == false(),
        )

    @cached_property
    def by_id(self) -> Select[Any]:
        """The open lots among ``ids`` (expanding)."""
        o = self._t.open_lots
        return select(o).where(o.c.id.in_(_many("ids")))

    @cached_property
    def next_unlock(self) -> Select[Any]:
        """The soonest ``available_at`` of ``account_id``'s pending lots (one index step)."""
        o = self._t.open_lots
        return (
            select(o.c.available_at)
            .where(
                o.c.account_id == bindparam("account_id"),
                o.c.available_at.is_not(None),
                o.c.pending == true(),
            )
            .order_by(o.c.available_at)
            .limit(1)
        )

    @cached_property
    def next_expiry(self) -> Select[Any]:
        """The soonest ``expires_at`` of ``account_id``'s spendable lots (one index step)."""
        o = self._t.open_lots
        return (
            select(o.c.expires_at)
            .where(
                o.c.account_id == bindparam("account_id"),
                o.c.expires_at.is_not(None),
                o.c.pending == false(),
            )
            .order_by(o.c.expires_at)
            .limit(1)
        )

"""Pages of an account's purchases and interactions, in ``(occurred_at, id)`` order.

A page starts strictly after the ``(occurred_at, id)`` of the previous page's
last row (keyset pagination, on the ``(account_id, occurred_at, id)``
indexes) and holds at most ``limit`` rows. Each of the four variants (with
or without a start, with or without a limit) is built once per store.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, Table, and_, bindparam, or_, select

from relationkit.storage.sql.schema.tables import Tables

__all__ = ["Pages", "seek_after"]


def seek_after(
    at: ColumnElement[Any], row_id: ColumnElement[Any], after_at: Any, after_id: Any
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Return the WHERE terms of rows strictly after ``(after_at, after_id)``.

    The first term is a range an ``(..., at, id)`` index can seek to; the
    OR alone makes SQLite scan everything before it.
    """
    return at >= after_at, or_(at > after_at, and_(at == after_at, row_id > after_id))


class Pages:
    """The page statements of ``purchases`` and ``interactions``.

    Parameters: ``account_id``; ``after_at`` and ``after_id`` with a start;
    ``limit`` with a limit.
    """

    def __init__(self, tables: Tables) -> None:
        self._t = tables
        self._built: dict[tuple[str, bool, bool], Select[Any]] = {}

    def of(self, name: str, *, after: bool, limited: bool) -> Select[Any]:
        """Return the page statement of table ``name`` (``"purchases"`` or ``"interactions"``)."""
        key = (name, after, limited)
        found = self._built.get(key)
        if found is None:
            found = self._built[key] = self._build(getattr(self._t, name), after, limited)
        return found

    @staticmethod
    def _build(t: Table, after: bool, limited: bool) -> Select[Any]:
        at, row_id = t.c.occurred_at, t.c.id
        stmt = select(t).where(t.c.account_id == bindparam("account_id"))
        if after:
            after_at = bindparam("after_at", type_=at.type)
            after_id = bindparam("after_id", type_=row_id.type)
            stmt = stmt.where(*seek_after(at, row_id, after_at, after_id))
        stmt = stmt.order_by(at, row_id)
        return stmt.limit(bindparam("limit", type_=Integer())) if limited else stmt

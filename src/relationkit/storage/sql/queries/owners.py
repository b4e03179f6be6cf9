""":class:`~relationkit.storage.ports.owners.OwnerLookups` in SQL: one narrow query each.

Each reads two columns on a unique index (an equality for one id, an
expanding IN list per chunk for several); the statements are built once per
store.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from sqlalchemy import Column, Select, Table, bindparam, select

from relationkit.storage.ports.core import chunked
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["Owners"]

_CHUNK = 500


class Owners:
    """The owner lookups' statements; each method takes the transaction's executor."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    @staticmethod
    def _pair(table: Table, key: Column[Any]) -> tuple[Select[Any], Select[Any]]:
        base = select(key, table.c.account_id)
        return (
            base.where(key == bindparam("key")),
            base.where(key.in_(bindparam("keys", expanding=True))),
        )

    @cached_property
    def _orders(self) -> tuple[Select[Any], Select[Any]]:
        p = self._t.purchases
        return self._pair(p, p.c.order_id)

    @cached_property
    def _customers(self) -> tuple[Select[Any], Select[Any]]:
        c = self._t.customers
        return self._pair(c, c.c.id)

    @staticmethod
    def _run(
        x: Executor, statements: tuple[Select[Any], Select[Any]], keys: Sequence[str]
    ) -> dict[str, str]:
        one, many = statements
        wanted = list(dict.fromkeys(keys))
        if len(wanted) == 1:
            return {r[0]: r[1] for r in x.rows(one, {"key": wanted[0]})}
        found: dict[str, str] = {}
        for chunk in chunked(wanted, _CHUNK):
            found.update((r[0], r[1]) for r in x.rows(many, {"keys": list(chunk)}))
        return found

    def accounts_of_orders(self, x: Executor, order_ids: Sequence[str]) -> dict[str, str]:
        """Return ``order_id -> account_id`` for the stored orders among ``order_ids``."""
        return self._run(x, self._orders, order_ids)

    def accounts_of_customers(self, x: Executor, customer_ids: Sequence[str]) -> dict[str, str]:
        """Return ``customer_id -> account_id`` for the stored customers among ``customer_ids``."""
        return self._run(x, self._customers, customer_ids)

"""Customer and account search in SQL: one query per page, filters as bound parameters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from relationkit.domain.customers import Account, Customer
from relationkit.storage.ports.queries import AccountQuery, CustomerQuery
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.mapping import ACCOUNT, CUSTOMER
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["Search"]


def _prefix(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, with LIKE's wildcards in it taken literally."""
    escaped = prefix.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    result: ColumnElement[bool] = column.like(escaped + "%", escape="!")
    return result


class Search:
    """``Directory.search_customers`` and ``search_accounts`` for a SQL unit of work."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def customers(
        self, x: Executor, query: CustomerQuery, *, after: str | None, limit: int
    ) -> list[Customer]:
        """Return a page of the customers matching ``query``, in id order."""
        c, a = self._t.customers, self._t.accounts
        stmt: Select[Any] = select(c)
        if query.stage is not None or query.tier is not None:
            stmt = stmt.join(a, a.c.id == c.c.account_id)
            if query.stage is not None:
                stmt = stmt.where(a.c.stage == query.stage)
            if query.tier is not None:
                stmt = stmt.where(a.c.tier == query.tier)
        if query.email_prefix is not None:
            stmt = stmt.where(_prefix(c.c.email_key, query.email_prefix))
        if query.name_prefix is not None:
            stmt = stmt.where(_prefix(func.lower(c.c.name), query.name_prefix))
        if query.external_id is not None:
            stmt = stmt.where(c.c.external_id == query.external_id)
        if after is not None:
            stmt = stmt.where(c.c.id > after)
        stmt = stmt.order_by(c.c.id).limit(limit)
        load = CUSTOMER.load
        return [load(row) for row in x.rows(stmt)]

    def accounts(
        self, x: Executor, query: AccountQuery, *, after: str | None, limit: int
    ) -> list[Account]:
        """Return a page of the accounts matching ``query``, in id order."""
        a = self._t.accounts
        stmt: Select[Any] = select(a)
        if query.name_prefix is not None:
            stmt = stmt.where(_prefix(func.lower(a.c.name), query.name_prefix))
        if query.kind is not None:
            stmt = stmt.where(a.c.kind == query.kind.value)
        if query.stage is not None:
            stmt = stmt.where(a.c.stage == query.stage)
        if query.tier is not None:
            stmt = stmt.where(a.c.tier == query.tier)
        if after is not None:
            stmt = stmt.where(a.c.id > after)
        stmt = stmt.order_by(a.c.id).limit(limit)
        load = ACCOUNT.load
        return [load(row) for row in x.rows(stmt)]

"""Customer and account search in SQL: one query per page, filters as bound parameters."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import BindParameter

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


def _attribute(dialect: str, column: Any, key: str, value: str | int | bool) -> ColumnElement[bool]:
    """The top-level attribute ``key`` equals ``value``, as ``attributes_match`` decides.

    PostgreSQL compares ``jsonb`` values (``true`` is not ``1``, ``1.0`` is
    ``1``); SQLite checks the JSON type of the value first, then its value.
    Key and value are bound parameters.
    """
    if dialect == "postgresql":
        held = cast(column, JSONB).op("->")(bindparam(None, key))
        result: ColumnElement[bool] = held == cast(literal(json.dumps(value)), JSONB)
        return result
    path: BindParameter[str] = bindparam(None, f'$."{key}"')
    kind = func.json_type(column, path)
    if isinstance(value, bool):
        return kind == ("true" if value else "false")
    extracted = func.json_extract(column, path)
    if isinstance(value, int):
        return and_(or_(kind == "integer", kind == "real"), extracted == value)
    return and_(kind == "text", extracted == value)


def _attributes(
    x: Executor, column: Any, wanted: dict[str, str | int | bool] | None
) -> list[ColumnElement[bool]]:
    if not wanted:
        return []
    dialect = x.connection.dialect.name
    return [_attribute(dialect, column, k, val) for k, val in wanted.items()]


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
        stmt = stmt.where(*_attributes(x, c.c.attributes, query.attributes))
        if query.created_after is not None:
            stmt = stmt.where(c.c.created_at >= query.created_after)
        if query.created_before is not None:
            stmt = stmt.where(c.c.created_at < query.created_before)
        if query.updated_after is not None:
            stmt = stmt.where(c.c.updated_at >= query.updated_after)
        if query.updated_before is not None:
            stmt = stmt.where(c.c.updated_at < query.updated_before)
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
        if query.external_id is not None:
            stmt = stmt.where(a.c.external_id == query.external_id)
        stmt = stmt.where(*_attributes(x, a.c.attributes, query.attributes))
        if query.created_after is not None:
            stmt = stmt.where(a.c.created_at >= query.created_after)
        if query.created_before is not None:
            stmt = stmt.where(a.c.created_at < query.created_before)
        if after is not None:
            stmt = stmt.where(a.c.id > after)
        stmt = stmt.order_by(a.c.id).limit(limit)
        load = ACCOUNT.load
        return [load(row) for row in x.rows(stmt)]

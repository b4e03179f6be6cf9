"""Time-ordered pages of an account's history, for ``kit.timeline``.

:class:`~relationkit.storage.ports.timeline.TimelineReads` in SQL: stage
changes by ``(at, seq)``, ledger entries by ``(at, seq)`` on the
``(account_id, at)`` index, refunds by ``(occurred_at, refund_id)`` on the
``(account_id, occurred_at, refund_id)`` index. Each page is one query
(plus, for ledger entries, the allocations of exactly that page).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import pendulum
from sqlalchemy import Select, bindparam, select

from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.lifecycle import StageChange
from relationkit.storage.ports.timeline import TimedRefund
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.mapping import REFUND, STAGE_CHANGE
from relationkit.storage.sql.queries.statements import limit
from relationkit.storage.sql.repositories.ledger import SqlLedger
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["TimelinePages"]


class TimelinePages:
    """The timeline's page statements, built once per store."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def _since(self, stmt: Select[Any], column: Any, since: bool) -> Select[Any]:
        if since:
            stmt = stmt.where(column >= bindparam("since", type_=column.type))
        return stmt.limit(limit())

    @cached_property
    def _stages(self) -> dict[bool, Select[Any]]:
        s = self._t.stage_changes
        base = select(s).where(s.c.account_id == bindparam("account_id"))
        return {
            flag: self._since(base, s.c.at, flag).order_by(s.c.at, s.c.seq)
            for flag in (False, True)
        }

    @cached_property
    def _entries(self) -> dict[bool, Select[Any]]:
        e = self._t.ledger_entries
        base = select(e).where(e.c.account_id == bindparam("account_id"))
        return {
            flag: self._since(base, e.c.at, flag).order_by(e.c.at, e.c.seq)
            for flag in (False, True)
        }

    @cached_property
    def _refunds(self) -> dict[bool, Select[Any]]:
        r, p = self._t.refunds, self._t.purchases
        base = (
            select(r, p.c.customer_id.label("order_customer_id"))
            .join(p, p.c.order_id == r.c.order_id)
            .where(r.c.account_id == bindparam("account_id"))
        )
        return {
            flag: self._since(base, r.c.occurred_at, flag).order_by(r.c.occurred_at, r.c.refund_id)
            for flag in (False, True)
        }

    @staticmethod
    def _params(account_id: str, since: pendulum.DateTime | None, size: int) -> dict[str, object]:
        params: dict[str, object] = {"account_id": account_id, "limit": max(size, 0)}
        if since is not None:
            params["since"] = since
        return params

    def stage_changes(
        self, x: Executor, account_id: str, since: pendulum.DateTime | None, size: int
    ) -> list[StageChange]:
        """Return a page of an account's stage changes by ``(at, seq)``."""
        found = x.rows(self._stages[since is not None], self._params(account_id, since, size))
        return [STAGE_CHANGE.load(r) for r in found]

    def ledger_entries(
        self,
        x: Executor,
        ledger: SqlLedger,
        account_id: str,
        since: pendulum.DateTime | None,
        size: int,
    ) -> list[LedgerEntry]:
        """Return a page of an account's ledger entries by ``(at, seq)``, with allocations."""
        heads = x.rows(self._entries[since is not None], self._params(account_id, since, size))
        return ledger.with_allocations(heads)

    def refunds(
        self, x: Executor, account_id: str, since: pendulum.DateTime | None, size: int
    ) -> list[TimedRefund]:
        """Return a page of the refunds of an account's orders by ``(occurred_at, refund_id)``."""
        found = x.rows(self._refunds[since is not None], self._params(account_id, since, size))
        return [TimedRefund(refund=REFUND.load(r), customer_id=r.order_customer_id) for r in found]

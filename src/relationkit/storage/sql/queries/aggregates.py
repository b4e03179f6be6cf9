"""The optional queries of :mod:`relationkit.storage.ports.queries`, pushed down to SQL.

Each is one statement (per chunk of ids where an IN list is given), built
once per store. :mod:`relationkit.storage.fallback` holds the reference
semantics; the contract suite checks that both answer alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import pendulum
from sqlalchemy import Select, and_, bindparam, func, or_, select

from relationkit.domain.ledger import EntryKind
from relationkit.storage.ports.core import chunked
from relationkit.storage.ports.queries import SpendRow
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.queries.statements import limit, many
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["Aggregates"]

CHUNK = 500
_EARNED = (EntryKind.EARN.value, EntryKind.ACTIVATE.value)


class Aggregates:
    """The store's pushed-down queries; each method takes the transaction's executor."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    # -- statements -----------------------------------------------------------

    @cached_property
    def _stage_counts(self) -> Select[Any]:
        a = self._t.accounts
        return select(a.c.stage, func.count().label("n")).group_by(a.c.stage)

    @cached_property
    def _purchase_counts(self) -> Select[Any]:
        p = self._t.purchases
        return (
            select(p.c.account_id, func.count().label("n"))
            .where(p.c.account_id.in_(many("account_ids")))
            .group_by(p.c.account_id)
        )

    @cached_property
    def _spend(self) -> Select[Any]:
        p, r = self._t.purchases, self._t.refunds
        refunded = (
            select(r.c.order_id, func.sum(r.c.amount_minor).label("refunded"))
            .group_by(r.c.order_id)
            .subquery("refunded")
        )
        net = func.sum(p.c.total_minor - func.coalesce(refunded.c.refunded, 0))
        return (
            select(p.c.account_id, net.label("net_minor"), func.count().label("orders"))
            .select_from(p.outerjoin(refunded, refunded.c.order_id == p.c.order_id))
            .where(p.c.currency == bindparam("currency"))
            .group_by(p.c.account_id)
            .order_by(net.desc(), p.c.account_id)
            .limit(limit())
        )

    def _ledger_ids(self, *, after: bool) -> Select[Any]:
        e = self._t.ledger_entries
        stmt = select(e.c.account_id).distinct().order_by(e.c.account_id).limit(limit())
        return stmt.where(e.c.account_id > bindparam("after")) if after else stmt

    @cached_property
    def _ledger_ids_first(self) -> Select[Any]:
        return self._ledger_ids(after=False)

    @cached_property
    def _ledger_ids_after(self) -> Select[Any]:
        return self._ledger_ids(after=True)

    def _due(self, *, after: bool) -> Select[Any]:
        """States whose ``next_due`` is at or before ``as_of`` (the ``next_due`` index)."""
        p = self._t.points_state
        as_of = bindparam("as_of", type_=p.c.next_due.type)
        later = (p.c.account_id > bindparam("after"),) if after else ()
        return (
            select(p.c.account_id)
            .where(p.c.next_due <= as_of, *later)
            .order_by(p.c.account_id)
            .limit(limit())
        )

    @cached_property
    def _due_first(self) -> Select[Any]:
        return self._due(after=False)

    @cached_property
    def _due_after(self) -> Select[Any]:
        return self._due(after=True)

    def _balances(self, *, after: bool) -> Select[Any]:
        p = self._t.points_state
        stmt = select(p.c.account_id, p.c.balance)
        if after:
            b = bindparam("balance", type_=p.c.balance.type)
            stmt = stmt.where(
                or_(p.c.balance < b, and_(p.c.balance == b, p.c.account_id > bindparam("after")))
            )
        return stmt.order_by(p.c.balance.desc(), p.c.account_id).limit(limit())

    @cached_property
    def _balances_first(self) -> Select[Any]:
        return self._balances(after=False)

    @cached_property
    def _balances_after(self) -> Select[Any]:
        return self._balances(after=True)

    @cached_property
    def _earned(self) -> Select[Any]:
        """Points earned by ``account_id`` with ``since < at <= until`` (by account and time)."""
        e = self._t.ledger_entries
        counted = or_(
            e.c.kind.in_(_EARNED),
            and_(e.c.kind == EntryKind.REVERSE.value, e.c.points < 0),
        )
        return select(func.coalesce(func.sum(e.c.points), 0)).where(
            e.c.account_id == bindparam("account_id"),
            e.c.at > bindparam("since", type_=e.c.at.type),
            e.c.at <= bindparam("until", type_=e.c.at.type),
            counted,
        )

    @cached_property
    def _net_spend(self) -> Select[Any]:
        """Net spend of ``account_id`` in ``currency`` in a window, each order net of refunds."""
        p, r = self._t.purchases, self._t.refunds
        refunded = (
            select(func.coalesce(func.sum(r.c.amount_minor), 0))
            .where(r.c.order_id == p.c.order_id)
            .scalar_subquery()
        )
        return select(func.coalesce(func.sum(p.c.total_minor - refunded), 0)).where(
            p.c.account_id == bindparam("account_id"),
            p.c.occurred_at > bindparam("since", type_=p.c.occurred_at.type),
            p.c.occurred_at <= bindparam("until", type_=p.c.occurred_at.type),
            p.c.currency == bindparam("currency"),
        )

    # -- queries --------------------------------------------------------------

    def count_by_stage(self, x: Executor) -> dict[str, int]:
        """See :class:`~relationkit.storage.ports.queries.StageCounts` (one GROUP BY)."""
        return {r.stage: int(r.n) for r in x.rows(self._stage_counts)}

    def purchase_counts(
        self, x: Executor, account_ids: Sequence[str], *, at_most: int | None = None
    ) -> dict[str, int]:
        """See :class:`~relationkit.storage.ports.queries.PurchaseCounts`.

        One account with a cap: a count over at most ``at_most`` index
        entries. Otherwise a GROUP BY per chunk.
        """
        if at_most is not None and len(account_ids) == 1:
            [account_id] = account_ids
            params = {"account_id": account_id, "cap": at_most}
            return {account_id: int(x.scalar(self._capped_count, params))}
        found: dict[str, int] = {}
        for chunk in chunked(list(dict.fromkeys(account_ids)), CHUNK):
            counted = x.rows(self._purchase_counts, {"account_ids": list(chunk)})
            found.update((r.account_id, int(r.n)) for r in counted)
        counts = {a: found.get(a, 0) for a in account_ids}
        if at_most is not None:
            counts = {a: min(n, at_most) for a, n in counts.items()}
        return counts

    @cached_property
    def _capped_count(self) -> Select[Any]:
        p = self._t.purchases
        some = (
            select(p.c.order_id)
            .where(p.c.account_id == bindparam("account_id"))
            .limit(bindparam("cap"))
            .subquery()
        )
        return select(func.count()).select_from(some)

    def top_spend(self, x: Executor, *, currency: str, limit: int) -> list[SpendRow]:
        """See :class:`~relationkit.storage.ports.queries.SpendRanking` (one query)."""
        return [
            SpendRow(
                account_id=r.account_id,
                currency=currency,
                # PostgreSQL sums BIGINT into NUMERIC: back to an exact int.
                net_minor=int(r.net_minor),
                orders=int(r.orders),
            )
            for r in x.rows(self._spend, {"currency": currency, "limit": max(limit, 0)})
        ]

    def ledger_account_ids(self, x: Executor, *, after: str | None, limit: int) -> list[str]:
        """See :class:`~relationkit.storage.ports.queries.LedgerScans` (one DISTINCT)."""
        params: dict[str, Any] = {"limit": max(limit, 0)}
        if after is None:
            return [r.account_id for r in x.rows(self._ledger_ids_first, params)]
        return [r.account_id for r in x.rows(self._ledger_ids_after, {**params, "after": after})]

    def due_accounts(
        self, x: Executor, as_of: pendulum.DateTime, *, after: str | None, limit: int
    ) -> list[str]:
        """See :class:`~relationkit.storage.ports.queries.LedgerScans` (one query on the states)."""
        params: dict[str, Any] = {"as_of": as_of, "limit": max(limit, 0)}
        if after is None:
            return [r.account_id for r in x.rows(self._due_first, params)]
        return [r.account_id for r in x.rows(self._due_after, {**params, "after": after})]

    def top_balances(
        self, x: Executor, *, limit: int, after: tuple[int, str] | None
    ) -> list[tuple[str, int]]:
        """See :class:`~relationkit.storage.ports.queries.BalanceRanking` (one query)."""
        params: dict[str, Any] = {"limit": max(limit, 0)}
        if after is None:
            found = x.rows(self._balances_first, params)
        else:
            params.update(balance=after[0], after=after[1])
            found = x.rows(self._balances_after, params)
        return [(r.account_id, int(r.balance)) for r in found]

    def points_earned_between(
        self, x: Executor, account_id: str, since: pendulum.DateTime, until: pendulum.DateTime
    ) -> int:
        """See :class:`~relationkit.storage.ports.queries.TierMeasures` (one SUM)."""
        params = {"account_id": account_id, "since": since, "until": until}
        return int(x.scalar(self._earned, params))

    def net_spend_between(
        self,
        x: Executor,
        account_id: str,
        currency: str,
        since: pendulum.DateTime,
        until: pendulum.DateTime,
    ) -> int:
        """See :class:`~relationkit.storage.ports.queries.TierMeasures` (one SUM)."""
        params = {"account_id": account_id, "currency": currency, "since": since, "until": until}
        return int(x.scalar(self._net_spend, params))

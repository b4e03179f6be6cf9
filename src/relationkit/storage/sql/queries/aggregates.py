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
from sqlalchemy import Select, bindparam, exists, func, not_, select, union

from relationkit.domain.ledger import EntryKind
from relationkit.storage.ports.core import chunked
from relationkit.storage.ports.queries import SpendRow
from relationkit.storage.sql.execution import Executor
from relationkit.storage.sql.queries.statements import limit, many
from relationkit.storage.sql.schema.tables import Tables

__all__ = ["Aggregates"]

CHUNK = 500
_NOT_LOTS = (EntryKind.PENDING.value, EntryKind.VOID.value)


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
        """Accounts with a pending lot to activate or a lot to expire at ``as_of``.

        The ledger folds in ``seq`` order (never by id, which carries a
        writer's clock): only entries written after a lot settle it. So an
        activation, a void or a debit counts against a lot only when it is
        a later entry of the same account, as in
        :meth:`~relationkit.domain.ledger.LedgerState.apply`.
        """
        e, a = self._t.ledger_entries, self._t.ledger_allocations
        as_of = bindparam("as_of", type_=e.c.expires_at.type)
        later = (e.c.account_id > bindparam("after"),) if after else ()
        taker = e.alias("taker")

        def taken(*kinds: Any) -> Any:
            return (
                select(func.coalesce(func.sum(a.c.points), 0))
                .join(taker, taker.c.id == a.c.entry_id)
                .where(
                    a.c.lot_id == e.c.id,
                    taker.c.account_id == e.c.account_id,
                    taker.c.seq > e.c.seq,
                    *kinds,
                )
                .scalar_subquery()
            )

        activator = e.alias("activator")
        activated = exists().where(
            activator.c.lot_id == e.c.id,
            activator.c.account_id == e.c.account_id,
            activator.c.kind == EntryKind.ACTIVATE.value,
            activator.c.seq > e.c.seq,
        )
        pending_due = select(e.c.account_id).where(
            *later,
            e.c.kind == EntryKind.PENDING.value,
            e.c.available_at <= as_of,
            not_(activated),
            e.c.points - taken(taker.c.kind == EntryKind.VOID.value) > 0,
        )
        lots_due = select(e.c.account_id).where(
            *later,
            e.c.kind.not_in(_NOT_LOTS),
            e.c.points > 0,
            e.c.expires_at <= as_of,
            e.c.points - e.c.debt - taken(taker.c.kind.not_in(_NOT_LOTS), taker.c.points < 0) > 0,
        )
        due = union(pending_due, lots_due).subquery("due")
        return select(due.c.account_id).order_by(due.c.account_id).limit(limit())

    @cached_property
    def _due_first(self) -> Select[Any]:
        return self._due(after=False)

    @cached_property
    def _due_after(self) -> Select[Any]:
        return self._due(after=True)

    # -- queries --------------------------------------------------------------

    def count_by_stage(self, x: Executor) -> dict[str, int]:
        """See :class:`~relationkit.storage.ports.queries.StageCounts` (one GROUP BY)."""
        return {r.stage: int(r.n) for r in x.rows(self._stage_counts)}

    def purchase_counts(self, x: Executor, account_ids: Sequence[str]) -> dict[str, int]:
        """See :class:`~relationkit.storage.ports.queries.PurchaseCounts` (a GROUP BY per chunk)."""
        found: dict[str, int] = {}
        for chunk in chunked(list(dict.fromkeys(account_ids)), CHUNK):
            counted = x.rows(self._purchase_counts, {"account_ids": list(chunk)})
            found.update((r.account_id, int(r.n)) for r in counted)
        return {a: found.get(a, 0) for a in account_ids}

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
        """See :class:`~relationkit.storage.ports.queries.LedgerScans` (one query, exact)."""
        params: dict[str, Any] = {"as_of": as_of, "limit": max(limit, 0)}
        if after is None:
            return [r.account_id for r in x.rows(self._due_first, params)]
        return [r.account_id for r in x.rows(self._due_after, {**params, "after": after})]

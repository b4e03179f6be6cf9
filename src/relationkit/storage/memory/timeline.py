"""The memory backend's :class:`~relationkit.storage.ports.timeline.TimelineReads`.

An account's ledger is kept in ``seq`` order and its refunds inside its
purchases; a timeline page wants them by time. Each is sorted once and kept,
with the key it was sorted under (how many records, the newest id), until a
write changes that key; a page is then a binary search and a slice.
"""

from __future__ import annotations

import bisect
from typing import Any

import pendulum

from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.lifecycle import StageChange
from relationkit.storage.memory.paging import sorted_once
from relationkit.storage.memory.tables import Tables
from relationkit.storage.ports.timeline import TimedRefund

__all__ = ["MemoryTimeline"]


class MemoryTimeline:
    """Time-ordered pages of an account's stage changes, ledger entries and refunds."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def stage_changes_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[StageChange]:
        """Return a page of an account's stage changes by ``at``, then the order written."""
        changes = sorted(self._t.stages.get(account_id, []), key=lambda c: c.at)
        start = 0 if since is None else bisect.bisect_left(changes, since, key=lambda c: c.at)
        return changes[start : start + max(limit, 0)]

    def ledger_entries_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[LedgerEntry]:
        """Return a page of an account's ledger entries by ``(at, seq)``."""
        entries = self._t.ledger.get(account_id, [])
        key = ("ledger", account_id)
        stamp = (len(entries), entries[-1].id if entries else "")
        ordered = sorted_once(
            self._t, key, stamp, lambda: sorted(entries, key=lambda e: (e.at, e.seq))
        )
        return _page(ordered, lambda e: e.at, since, limit)

    def refunds_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[TimedRefund]:
        """Return a page of the refunds of an account's orders by ``(occurred_at, refund_id)``."""
        orders = self._t.purchases_by_account.get(account_id, [])
        key = ("refunds", account_id)
        # Any refund stored anywhere, or an order moving in or out, re-sorts.
        refunds = self._t.refunds
        newest = next(reversed(refunds), None)
        stamp = (id(orders), len(orders), orders[-1] if orders else None, len(refunds), newest)

        def build() -> list[TimedRefund]:
            timed = [
                TimedRefund(refund=r, customer_id=p.customer_id)
                for p in (self._t.purchases[o] for o in orders)
                for r in p.refunds
            ]
            return sorted(timed, key=lambda t: (t.refund.occurred_at, t.refund.refund_id))

        ordered = sorted_once(self._t, key, stamp, build)
        return _page(ordered, lambda t: t.refund.occurred_at, since, limit)


def _page(ordered: list[Any], at: Any, since: pendulum.DateTime | None, limit: int) -> list[Any]:
    start = 0 if since is None else bisect.bisect_left(ordered, since, key=at)
    return list(ordered[start : start + max(limit, 0)])

"""Time-ordered pages of an account's history: the store's own, or a reference.

:func:`timeline_reads` hands each page to the unit of work when it
implements :class:`~relationkit.storage.ports.timeline.TimelineReads` (the
SQL backend: one indexed query per page) and otherwise answers from the core
port. The reference loads the account's records of that kind and sorts them,
so it costs the account's history, not the page; the contract suite checks
that both answer alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import pendulum

from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.lifecycle import StageChange
from relationkit.storage.ports.core import UnitOfWork
from relationkit.storage.ports.timeline import TimedRefund, TimelineReads

__all__ = ["timeline_reads"]

T = TypeVar("T")
_PAGE = 1000


def _window(
    items: Iterable[T],
    at: Callable[[T], pendulum.DateTime],
    since: pendulum.DateTime | None,
    limit: int,
) -> list[T]:
    # sorted() is stable: records of one instant keep the order given.
    chosen = sorted((i for i in items if since is None or at(i) >= since), key=at)
    return chosen[: max(limit, 0)]


def _all_entries(uow: UnitOfWork, account_id: str) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    while page := uow.ledger.for_account(
        account_id, after_seq=entries[-1].seq if entries else 0, limit=_PAGE
    ):
        entries += page
        if len(page) < _PAGE:
            break
    return entries


class _Reference:
    """:class:`TimelineReads` from the core port alone."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow

    def stage_changes_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[StageChange]:
        changes = self._u.stages.for_account(account_id)
        return _window(changes, lambda c: c.at, since, limit)

    def ledger_entries_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[LedgerEntry]:
        return _window(_all_entries(self._u, account_id), lambda e: e.at, since, limit)

    def refunds_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[TimedRefund]:
        timed = [
            TimedRefund(refund=r, customer_id=p.customer_id)
            for p in self._u.purchases.for_account(account_id)
            for r in p.refunds
        ]
        timed.sort(key=lambda t: t.refund.refund_id)
        return _window(timed, lambda t: t.refund.occurred_at, since, limit)


def timeline_reads(uow: UnitOfWork) -> TimelineReads:
    """Return the timeline page reads for ``uow``: its own where it has them."""
    if isinstance(uow, TimelineReads):
        return uow
    return _Reference(uow)

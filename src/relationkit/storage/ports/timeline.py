"""An optional protocol for reading an account's history by time, a page at a time.

``kit.timeline`` merges five sources by time. Interactions and purchases
already page by ``(occurred_at, id)`` through the core port; stage changes,
ledger entries and refunds are kept in another order (insertion, ``seq``,
per order), so a backend that can read them by time from an index implements
:class:`TimelineReads`. Without it, :mod:`relationkit.storage.timeline_reads`
answers from the core port, loading the account's whole history of that kind.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs
import pendulum

from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.purchases import Refund

__all__ = ["TimedRefund", "TimelineReads"]


@attrs.frozen(kw_only=True)
class TimedRefund:
    """A refund with the customer of its order (a timeline line names the person).

    Attributes:
        refund: the refund.
        customer_id: the customer of the refunded order.
    """

    refund: Refund
    customer_id: str


@runtime_checkable
class TimelineReads(Protocol):
    """Time-ordered pages of an account's stage changes, ledger entries and refunds.

    Each method returns at most ``limit`` records whose instant is at or
    after ``since`` (None: from the first), oldest first; records of the
    same instant keep the store's order for that kind (stage changes: the
    order they were written; ledger entries: ``seq``; refunds: refund id).
    """

    def stage_changes_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[StageChange]:
        """Return an account's stage changes by ``at``, then the order they were written."""
        ...

    def ledger_entries_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[LedgerEntry]:
        """Return an account's ledger entries by ``at``, then ``seq``."""
        ...

    def refunds_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[TimedRefund]:
        """Return the refunds of an account's orders by ``occurred_at``, then refund id."""
        ...

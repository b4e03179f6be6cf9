"""The loyalty ledger in SQL: entries, their allocations, and the due query.

Entries are append-only. An entry's allocations (the lots a debit or a void
took points from) live in their own table, numbered to keep their order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pendulum
from sqlalchemy import exists, func, not_, select, true, union

from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry
from relationkit.storage.ports import chunked
from relationkit.storage.sql import rows
from relationkit.storage.sql.bulk import Inserts
from relationkit.storage.sql.executor import Executor
from relationkit.storage.sql.repositories import CHUNK
from relationkit.storage.sql.tables import Tables

__all__ = ["SqlLedger"]


class SqlLedger:
    """The ledger (:class:`~relationkit.storage.ports.LedgerRepository`)."""

    def __init__(self, executor: Executor, tables: Tables, inserts: Inserts) -> None:
        self._x = executor
        self._t = tables
        self._i = inserts

    def add_many(self, entries: Sequence[LedgerEntry]) -> None:
        """Append entries and their allocations: one executemany per table."""
        self._x.insert(self._i.ledger_entries, [rows.entry_row(e) for e in entries])
        allocations = [a for e in entries for a in rows.allocation_rows(e)]
        self._x.insert(self._i.ledger_allocations, allocations)

    def for_account(self, account_id: str) -> list[LedgerEntry]:
        """Return an account's entries in id order (two queries)."""
        return self._load([account_id])[account_id]

    def for_accounts(self, account_ids: Sequence[str]) -> dict[str, list[LedgerEntry]]:
        """Return the entries of several accounts, each list in id order ([] if none).

        Two queries per chunk of :data:`CHUNK` accounts.
        """
        found: dict[str, list[LedgerEntry]] = {}
        for chunk in chunked(list(dict.fromkeys(account_ids)), CHUNK):
            found.update(self._load(chunk))
        return {a: found[a] for a in account_ids}

    def _load(self, account_ids: Sequence[str]) -> dict[str, list[LedgerEntry]]:
        """Return the entries of a few accounts, with their allocations."""
        e, a = self._t.ledger_entries, self._t.ledger_allocations
        of_accounts = (
            e.c.account_id == account_ids[0]
            if len(account_ids) == 1
            else e.c.account_id.in_(account_ids)
        )
        found: dict[str, list[LedgerEntry]] = {i: [] for i in account_ids}
        heads = self._x.rows(select(e).where(of_accounts).order_by(e.c.account_id, e.c.id))
        if not heads:
            return found
        allocations: defaultdict[str, list[Allocation]] = defaultdict(list)
        stmt = (
            select(a)
            .join(e, e.c.id == a.c.entry_id)
            .where(of_accounts)
            .order_by(a.c.entry_id, a.c.position)
        )
        for row in self._x.rows(stmt):
            allocations[row.entry_id].append(rows.to_allocation(row))
        for h in heads:
            found[h.account_id].append(rows.to_entry(h, allocations.get(h.id, ())))
        return found

    def due_accounts(
        self, as_of: pendulum.DateTime, *, after: str | None = None, limit: int = 1000
    ) -> list[str]:
        """Return accounts that have pending points to activate or lots to expire.

        Ids come in id order, after ``after``, at most ``limit``. One query,
        the union of two exact candidate sets:

        - a ``pending`` entry with ``available_at <= as_of``, no ``activate``
          naming it, and points left after the voids allocated against it;
        - a credit (a lot: positive points outside pending/void) with
          ``expires_at <= as_of`` and points left: its points minus the debt
          it paid minus every allocation taken from it (an expiry takes all).
        """
        e, a = self._t.ledger_entries, self._t.ledger_allocations
        later = e.c.account_id > after if after is not None else true()
        taken = (
            select(func.coalesce(func.sum(a.c.points), 0))
            .where(a.c.lot_id == e.c.id)
            .scalar_subquery()
        )
        activator = e.alias("activator")
        activated = exists().where(
            activator.c.lot_id == e.c.id,
            activator.c.account_id == e.c.account_id,
            activator.c.kind == EntryKind.ACTIVATE.value,
        )
        pending_due = select(e.c.account_id).where(
            later,
            e.c.kind == EntryKind.PENDING.value,
            e.c.available_at <= as_of,
            not_(activated),
            e.c.points - taken > 0,
        )
        lots_due = select(e.c.account_id).where(
            later,
            e.c.kind.not_in([EntryKind.PENDING.value, EntryKind.VOID.value]),
            e.c.points > 0,
            e.c.expires_at <= as_of,
            e.c.points - e.c.debt - taken > 0,
        )
        due = union(pending_due, lots_due).subquery("due")
        stmt = select(due.c.account_id).order_by(due.c.account_id).limit(max(limit, 0))
        return [r.account_id for r in self._x.rows(stmt)]

    def account_ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Return ids of accounts that have ledger entries, in id order."""
        e = self._t.ledger_entries
        stmt = select(e.c.account_id).distinct().order_by(e.c.account_id).limit(max(limit, 0))
        if after is not None:
            stmt = stmt.where(e.c.account_id > after)
        return [r.account_id for r in self._x.rows(stmt)]

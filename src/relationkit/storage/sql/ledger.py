"""The loyalty ledger in SQL: entries, their allocations, and the due query.

Entries are append-only. An entry's allocations (the lots a debit or a void
took points from) live in their own table, numbered to keep their order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pendulum

from relationkit.domain.ledger import Allocation, LedgerEntry
from relationkit.storage.ports import chunked
from relationkit.storage.sql import rows
from relationkit.storage.sql.repositories import CHUNK, Repository

__all__ = ["SqlLedger"]


class SqlLedger(Repository):
    """The ledger (:class:`~relationkit.storage.ports.LedgerRepository`)."""

    __slots__ = ()

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
        q = self._q
        if len(account_ids) == 1:
            entries, allocated = q.entries_of_account, q.allocations_of_account
            params: dict[str, object] = {"account_id": account_ids[0]}
        else:
            entries, allocated = q.entries_of_accounts, q.allocations_of_accounts
            params = {"account_ids": account_ids}
        found: dict[str, list[LedgerEntry]] = {i: [] for i in account_ids}
        heads = self._x.rows(entries, params)
        if not heads:
            return found
        allocations: defaultdict[str, list[Allocation]] = defaultdict(list)
        for row in self._x.rows(allocated, params):
            allocations[row.entry_id].append(rows.to_allocation(row))
        for h in heads:
            found[h.account_id].append(rows.to_entry(h, allocations.get(h.id, ())))
        return found

    def due_accounts(
        self, as_of: pendulum.DateTime, *, after: str | None = None, limit: int = 1000
    ) -> list[str]:
        """Return accounts that have pending points to activate or lots to expire.

        Ids come in id order, after ``after``, at most ``limit``. One query
        (:attr:`~relationkit.storage.sql.queries.Queries.due_accounts`), the
        union of two exact candidate sets:

        - a ``pending`` entry with ``available_at <= as_of``, no ``activate``
          naming it, and points left after the voids allocated against it;
        - a credit (a lot: positive points outside pending/void) with
          ``expires_at <= as_of`` and points left: its points minus the debt
          it paid minus every allocation taken from it (an expiry takes all).
        """
        q = self._q
        params = {"as_of": as_of, "limit": max(limit, 0)}
        if after is None:
            found = self._x.rows(q.due_accounts, params)
        else:
            found = self._x.rows(q.due_accounts_after, {**params, "after": after})
        return [r.account_id for r in found]

    def account_ids(self, *, after: str | None = None, limit: int = 1000) -> list[str]:
        """Return ids of accounts that have ledger entries, in id order."""
        q = self._q
        if after is None:
            found = self._x.rows(q.ledger_account_ids, {"limit": max(limit, 0)})
        else:
            found = self._x.rows(
                q.ledger_account_ids_after, {"after": after, "limit": max(limit, 0)}
            )
        return [r.account_id for r in found]

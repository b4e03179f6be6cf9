"""The loyalty ledger in SQL: entries and their allocations.

Entries are append-only and numbered per account (``seq``, unique with the
account id). An entry's allocations (the lots a debit or a void took points
from) live in their own table, numbered to keep their order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from relationkit.domain.ledger import Allocation, LedgerEntry
from relationkit.storage.ports.core import chunked
from relationkit.storage.sql.mapping import ALLOCATION, ENTRY
from relationkit.storage.sql.repositories import CHUNK, Repository

__all__ = ["SqlLedger"]


class SqlLedger(Repository):
    """The ledger (:class:`~relationkit.storage.ports.LedgerRepository`)."""

    __slots__ = ()

    def add_many(self, entries: Sequence[LedgerEntry]) -> None:
        """Append entries and their allocations: one executemany per table.

        Raises:
            DuplicateKey: ``"entry_id"``, or ``"ledger_seq"`` for a taken
                ``(account_id, seq)``.
            DanglingReference: ``"account_id"``.
        """
        inserts = self._s.inserts
        self._x.insert(inserts["ledger_entries"], ENTRY.rows(entries), dangling="account_id")
        self._x.insert(inserts["ledger_allocations"], ALLOCATION.rows(entries), dangling="entry_id")

    def for_account(
        self, account_id: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[LedgerEntry]:
        """Return an account's entries after ``after_seq`` in ``seq`` order, at most ``limit``.

        Two queries, both on the ``(account_id, seq)`` index: the page of
        entries, then the allocations of exactly that page.
        """
        s, x = self._s, self._x
        params: dict[str, object] = {"account_id": account_id, "after_seq": after_seq}
        if limit is None:
            heads = x.rows(s.entries_after, params)
        else:
            heads = x.rows(s.entries_page, {**params, "limit": max(limit, 0)})
        if not heads:
            return []
        allocated = x.rows(s.allocations_between, {**params, "last_seq": heads[-1].seq})
        return self._assemble(heads, allocated)

    def by_source(self, account_id: str, source: str) -> list[LedgerEntry]:
        """Return an account's entries caused by ``source``, in ``seq`` order.

        On the ``(account_id, source)`` index, then the allocations of the
        entries found (a chunk of ids per query).
        """
        params = {"account_id": account_id, "source": source}
        heads = self._x.rows(self._s.entries_by_source, params)
        return self.with_allocations(heads)

    def get(self, entry_id: str) -> LedgerEntry | None:
        """Return one entry by its id, with its allocations."""
        found = self.with_allocations(self._x.rows(self._s.entry, {"id": entry_id}))
        return found[0] if found else None

    def with_allocations(self, heads: Sequence[Any]) -> list[LedgerEntry]:
        """Return the entries of these entry rows, with their allocations."""
        allocated: list[Any] = []
        for chunk in chunked([h.id for h in heads], CHUNK):
            allocated += self._x.rows(self._s.allocations_of_entries, {"entry_ids": list(chunk)})
        return self._assemble(heads, allocated)

    @staticmethod
    def _assemble(heads: Sequence[Any], allocated: Sequence[Any]) -> list[LedgerEntry]:
        allocations: defaultdict[str, list[Allocation]] = defaultdict(list)
        load_allocation, load = ALLOCATION.load, ENTRY.load
        for row in allocated:
            allocations[row.entry_id].append(load_allocation(row))
        return [load(h, allocations.get(h.id, ())) for h in heads]

    def for_accounts(self, account_ids: Sequence[str]) -> dict[str, list[LedgerEntry]]:
        """Return the entries of several accounts, each list in ``seq`` order ([] if none).

        Two queries per chunk of :data:`CHUNK` accounts.
        """
        found: dict[str, list[LedgerEntry]] = {}
        for chunk in chunked(list(dict.fromkeys(account_ids)), CHUNK):
            found.update(self._load(chunk))
        return {a: found[a] for a in account_ids}

    def _load(self, account_ids: Sequence[str]) -> dict[str, list[LedgerEntry]]:
        """Return the entries of a few accounts, with their allocations."""
        s = self._s
        params: dict[str, object]
        if len(account_ids) == 1:
            entries, allocated = s.entries_of_account, s.allocations_of_account
            params = {"account_id": account_ids[0]}
        else:
            entries, allocated = s.entries_of_accounts, s.allocations_of_accounts
            params = {"account_ids": list(account_ids)}
        found: dict[str, list[LedgerEntry]] = {i: [] for i in account_ids}
        heads = self._x.rows(entries, params)
        if not heads:
            return found
        allocations: defaultdict[str, list[Allocation]] = defaultdict(list)
        load_allocation, load = ALLOCATION.load, ENTRY.load
        for row in self._x.rows(allocated, params):
            allocations[row.entry_id].append(load_allocation(row))
        for h in heads:
            found[h.account_id].append(load(h, allocations.get(h.id, ())))
        return found

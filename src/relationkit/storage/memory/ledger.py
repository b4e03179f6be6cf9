"""The memory backend's loyalty tables: the ledger and the state kept beside it."""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pendulum

from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.points import LotKey, OpenLot, PointsState, lot_key
from relationkit.errors import DanglingReference, DuplicateKey
from relationkit.storage.memory.undo import append_item, set_item

if TYPE_CHECKING:
    from relationkit.storage.memory.store import UnitOfWork

__all__ = ["MemoryLedger", "MemoryPoints"]


class MemoryLedger:
    """``uow.ledger``: append-only entries, indexed by account, seq, id and source."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow.tables

    def add_many(self, entries: Sequence[LedgerEntry]) -> None:
        t, u = self._t, self._u
        for entry in entries:
            if entry.id in t.ledger_ids:
                raise DuplicateKey("entry_id")
            if entry.account_id not in t.accounts:
                raise DanglingReference("account_id")
            slot = (entry.account_id, entry.seq)
            if slot in t.ledger_seqs:
                raise DuplicateKey("ledger_seq")
            set_item(t.ledger_ids, entry.id, u)
            t.ledger_ids[entry.id] = entry
            set_item(t.ledger_seqs, slot, u)
            t.ledger_seqs[slot] = entry.id
            items = t.ledger[entry.account_id]
            append_item(items, u)
            items.append(entry)
            if len(items) > 1 and items[-2].seq > entry.seq:
                items.sort(key=lambda e: e.seq)
            if entry.source is not None:
                same = t.ledger_sources[(entry.account_id, entry.source)]
                append_item(same, u)
                same.append(entry)
                if len(same) > 1 and same[-2].seq > entry.seq:
                    same.sort(key=lambda e: e.seq)

    def for_account(
        self, account_id: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[LedgerEntry]:
        items = self._t.ledger.get(account_id, [])
        start = bisect.bisect_right(items, after_seq, key=lambda e: e.seq)
        end = len(items) if limit is None else start + limit
        return list(items[start:end])

    def by_source(self, account_id: str, source: str) -> list[LedgerEntry]:
        return list(self._t.ledger_sources.get((account_id, source), []))

    def get(self, entry_id: str) -> LedgerEntry | None:
        return self._t.ledger_ids.get(entry_id)


class MemoryPoints:
    """``uow.points``: a state row per account and the lots that still hold points."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow.tables

    def get_many(self, account_ids: Sequence[str]) -> dict[str, PointsState]:
        found = ((a, self._t.points.get(a)) for a in account_ids)
        return {a: s for a, s in found if s is not None}

    def put_many(self, states: Sequence[PointsState]) -> None:
        t, u = self._t, self._u
        for state in states:
            if state.account_id not in t.accounts:
                raise DanglingReference("account_id")
            set_item(t.points, state.account_id, u)
            t.points[state.account_id] = state

    def open_lots(self, account_ids: Sequence[str]) -> dict[str, list[OpenLot]]:
        t = self._t
        return {a: [t.lots[i] for i in sorted(t.lots_by_account.get(a, ()))] for a in account_ids}

    def put_lots(self, lots: Sequence[OpenLot]) -> None:
        t, u = self._t, self._u
        for lot in lots:
            if lot.account_id not in t.accounts:
                raise DanglingReference("account_id")
            old = t.lots.get(lot.id)
            if old is None:
                owned = t.lots_by_account[lot.account_id]
                owned.add(lot.id)
                u._log(functools.partial(owned.discard, lot.id))
            if old is not None:
                self._unindex(old)
            set_item(t.lots, lot.id, u)
            t.lots[lot.id] = lot
            self._index(lot)

    def _keys_of(self, lot: OpenLot, *, create: bool) -> tuple[list[Any], Any] | None:
        """Return the sorted key list ``lot`` belongs in and its key there (None: no list).

        Spendable lots sort in consumption order; pending lots with an unlock
        instant by (unlock, id). A pending lot without one is in neither.
        """
        t = self._t
        index: dict[str, list[Any]]
        key: Any
        if not lot.pending:
            index, key = t.spendable_keys, lot_key(lot)
        elif lot.available_at is not None:
            index, key = t.unlock_keys, (lot.available_at, lot.id)
        else:
            return None
        keys = index.setdefault(lot.account_id, []) if create else index.get(lot.account_id)
        return None if keys is None else (keys, key)

    def _index(self, lot: OpenLot) -> None:
        """Insert the lot's key in its account's sorted keys, in place (undo: remove it)."""
        found = self._keys_of(lot, create=True)
        if found is None:
            return
        keys, key = found
        bisect.insort(keys, key)
        self._u._log(lambda: keys.remove(key))

    def _unindex(self, lot: OpenLot) -> None:
        """Remove the lot's key from its account's sorted keys, in place (undo: put it back)."""
        found = self._keys_of(lot, create=False)
        if found is None:
            return
        keys, key = found
        at = bisect.bisect_left(keys, key)
        if at < len(keys) and keys[at] == key:
            del keys[at]
            self._u._log(lambda: bisect.insort(keys, key))

    def close_lots(self, lot_ids: Sequence[str]) -> None:
        t, u = self._t, self._u
        for lot_id in lot_ids:
            lot = t.lots.get(lot_id)
            if lot is None:
                continue
            self._unindex(lot)
            set_item(t.lots, lot_id, u)
            del t.lots[lot_id]
            owned = t.lots_by_account[lot.account_id]
            owned.discard(lot_id)
            u._log(functools.partial(owned.add, lot_id))

    def spendable_lots(
        self, account_id: str, *, after: LotKey | None = None, limit: int = 50
    ) -> list[OpenLot]:
        keys = self._t.spendable_keys.get(account_id, [])
        start = bisect.bisect_right(keys, after) if after is not None else 0
        return [self._t.lots[key[2]] for key in keys[start : start + limit]]

    def due_lots(self, account_id: str, as_of: pendulum.DateTime) -> list[OpenLot]:
        t = self._t
        due: list[str] = []
        # Both key lists start with the soonest instant: read their due prefixes.
        for at, lot_id in t.unlock_keys.get(account_id, ()):
            if at > as_of:
                break
            due.append(lot_id)
        for never, at, lot_id in t.spendable_keys.get(account_id, ()):
            if never or at > as_of:
                break
            due.append(lot_id)
        return [t.lots[i] for i in sorted(due)]

    def lots_by_id(self, lot_ids: Sequence[str]) -> dict[str, OpenLot]:
        found = ((i, self._t.lots.get(i)) for i in lot_ids)
        return {i: lot for i, lot in found if lot is not None}

    def lot_bounds(
        self, account_id: str
    ) -> tuple[pendulum.DateTime | None, pendulum.DateTime | None]:
        t = self._t
        unlocks = t.unlock_keys.get(account_id)
        keys = t.spendable_keys.get(account_id)
        expiry = keys[0][1] if keys and not keys[0][0] else None
        return (unlocks[0][0] if unlocks else None), expiry

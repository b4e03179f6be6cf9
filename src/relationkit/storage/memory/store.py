"""The in-memory backend: the reference implementation of the core storage port.

Everything lives in dicts. A write transaction holds one lock for the whole
store and keeps an undo log, so a rollback (or a failed savepoint) restores
exactly what was there. Nothing is shared between two ``MemoryStorage``
objects, and nothing survives the process.

It implements the core port, :class:`~relationkit.storage.ports.Savepoints`
and :class:`~relationkit.storage.ports.PurchaseCounts` (an index it keeps
anyway); every other optional query is answered by
:mod:`relationkit.storage.fallback`, so the reference answers run on every
test of the memory backend. Stored and
returned customers carry their own copy of ``attributes``: mutating what a
caller passed in, or what a read returned, never changes the store.

Each aggregate's repository lives in a module of its own: :mod:`.people`
(accounts, customers), :mod:`.history` (stages, interactions),
:mod:`.purchases`, :mod:`.ledger` (entries, points state, lots),
:mod:`.checkout`, :mod:`.scores` and :mod:`.timeline`; this module holds the unit of work
that gathers them, the idempotency records and the store itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import pendulum

from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.lifecycle import StageChange
from relationkit.errors import DuplicateKey, StorageError
from relationkit.storage.memory.checkout import MemoryCheckout
from relationkit.storage.memory.history import MemoryInteractions, MemoryStages
from relationkit.storage.memory.ledger import MemoryLedger, MemoryPoints
from relationkit.storage.memory.moves import move_records
from relationkit.storage.memory.people import MemoryAccounts, MemoryCustomers
from relationkit.storage.memory.purchases import MemoryPurchases
from relationkit.storage.memory.scores import MemoryScores
from relationkit.storage.memory.tables import Tables
from relationkit.storage.memory.timeline import MemoryTimeline
from relationkit.storage.memory.undo import Undo, set_item
from relationkit.storage.ports.core import IdempotencyRecord
from relationkit.storage.ports.moves import MovedRecords as Moved
from relationkit.storage.ports.timeline import TimedRefund

__all__ = ["MemoryStorage"]


class UnitOfWork:
    def __init__(self, tables: Tables, write: bool) -> None:
        self._t = self.tables = tables
        self._write = write
        # The store's lock is held for the whole transaction (OwnerLookups).
        self.serial_writes = write
        self._undo: list[Undo] = []
        self.accounts = MemoryAccounts(self)
        self.customers = MemoryCustomers(self)
        self.stages = MemoryStages(self)
        self.interactions = MemoryInteractions(self)
        self.purchases = MemoryPurchases(self)
        self.ledger = MemoryLedger(self)
        self.idempotency = _Idempotency(self)
        self.points = MemoryPoints(self)
        self.scores = MemoryScores(self)
        self.checkout = MemoryCheckout(self)
        self._timeline = MemoryTimeline(tables)

    def _log(self, undo: Undo) -> None:
        if not self._write:
            raise StorageError("write attempted in a read-only transaction")
        self._undo.append(undo)

    def rollback_to(self, mark: int) -> None:
        while len(self._undo) > mark:
            self._undo.pop()()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        mark = len(self._undo)
        try:
            yield
        except BaseException:
            self.rollback_to(mark)
            raise

    def stage_changes_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[StageChange]:
        """Return a page of an account's stage changes by time (``TimelineReads``)."""
        return self._timeline.stage_changes_since(account_id, since=since, limit=limit)

    def ledger_entries_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[LedgerEntry]:
        """Return a page of an account's ledger entries by ``(at, seq)`` (``TimelineReads``)."""
        return self._timeline.ledger_entries_since(account_id, since=since, limit=limit)

    def refunds_since(
        self, account_id: str, *, since: pendulum.DateTime | None, limit: int
    ) -> list[TimedRefund]:
        """Return a page of the refunds of an account's orders by time (``TimelineReads``)."""
        return self._timeline.refunds_since(account_id, since=since, limit=limit)

    def move_records(self, customer_id: str, from_account_id: str, to_account_id: str) -> Moved:
        """See :class:`~relationkit.storage.ports.moves.RecordMoves`."""
        return move_records(self._t, self, customer_id, from_account_id, to_account_id)

    def purchase_counts(
        self, account_ids: Sequence[str], *, at_most: int | None = None
    ) -> dict[str, int]:
        """Count each account's purchases from the store's index (no scan)."""
        owned = self._t.purchases_by_account
        counts = {a: len(owned.get(a, ())) for a in account_ids}
        if at_most is not None:
            counts = {a: min(n, at_most) for a, n in counts.items()}
        return counts


class _Idempotency:
    def __init__(self, uow: UnitOfWork) -> None:
        self._u = uow
        self._t = uow.tables

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        return self._t.idempotency.get((scope, key))

    def add(self, record: IdempotencyRecord) -> None:
        slot = (record.scope, record.key)
        if slot in self._t.idempotency:
            raise DuplicateKey("idempotency_key")
        set_item(self._t.idempotency, slot, self._u)
        self._t.idempotency[slot] = record


class MemoryStorage:
    """The in-memory reference backend (the default of ``rk.open()``).

    Thread-safe: every transaction holds the store's lock, so writers are
    serialised and readers see committed data only.
    """

    def __init__(self) -> None:
        self._tables = Tables()
        self._lock = threading.RLock()
        self._closed = False

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[UnitOfWork]:
        """Open a transaction; roll back through the undo log on error."""
        with self._lock:
            if self._closed:
                raise StorageError("the memory store is closed")
            uow = UnitOfWork(self._tables, write)
            try:
                yield uow
            except BaseException:
                uow.rollback_to(0)
                raise

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` now: a memory transaction is final when it ends."""
        callback()

    def close(self) -> None:
        """Mark the store closed; later transactions raise StorageError."""
        self._closed = True

    def __repr__(self) -> str:
        return "MemoryStorage()"

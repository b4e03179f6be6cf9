"""The core port's loyalty records: the append-only ledger and the state beside it.

Part of the core port (every backend implements them); split from
:mod:`relationkit.storage.ports.core` for size. The rules of that module
(errors, ordering, copies) hold here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pendulum

from relationkit.domain.ledger import LedgerEntry
from relationkit.domain.points import LotKey, OpenLot, PointsState

__all__ = ["LedgerRepository", "PointsRepository"]


class LedgerRepository(Protocol):
    """The append-only loyalty ledger."""

    def add_many(self, entries: Sequence[LedgerEntry]) -> None:
        """Append entries (with their allocations). Entries are never changed.

        ``seq`` numbers an account's entries 1, 2, 3, ... in the order they
        were written; the service assigns it under the account's lock.

        Raises:
            DuplicateKey: ``"entry_id"``, or ``"ledger_seq"`` when an
                ``(account_id, seq)`` pair is taken (a concurrent writer).
            DanglingReference: ``"account_id"``.
        """
        ...

    def for_account(
        self, account_id: str, *, after_seq: int = 0, limit: int | None = None
    ) -> list[LedgerEntry]:
        """Return an account's entries in ``seq`` order, those after ``after_seq``.

        With ``limit``, at most that many (a page; the next page starts
        after the last ``seq`` returned).
        """
        ...

    def by_source(self, account_id: str, source: str) -> list[LedgerEntry]:
        """Return an account's entries whose ``source`` is ``source``, in ``seq`` order."""
        ...

    def get(self, entry_id: str) -> LedgerEntry | None:
        """Return one entry by its id."""
        ...


class PointsRepository(Protocol):
    """The loyalty state kept beside the ledger: one row per account, one per open lot.

    Derived from the ledger and written in the same transaction as the
    entries that change it (see :mod:`relationkit.domain.points`).
    """

    def get_many(self, account_ids: Sequence[str]) -> dict[str, PointsState]:
        """Return the stored states of these accounts (accounts with none left out)."""
        ...

    def put_many(self, states: Sequence[PointsState]) -> None:
        """Insert or replace the states of these accounts.

        Raises:
            DanglingReference: ``"account_id"``.
        """
        ...

    def open_lots(self, account_ids: Sequence[str]) -> dict[str, list[OpenLot]]:
        """Return the open lots of these accounts, each list in id order ([] if none)."""
        ...

    def put_lots(self, lots: Sequence[OpenLot]) -> None:
        """Insert or replace open lots (by lot id).

        Raises:
            DanglingReference: ``"account_id"``.
        """
        ...

    def close_lots(self, lot_ids: Sequence[str]) -> None:
        """Delete these open lots (unknown ids are ignored)."""
        ...

    def spendable_lots(
        self, account_id: str, *, after: LotKey | None = None, limit: int = 50
    ) -> list[OpenLot]:
        """Return an account's open lots that are not pending, in consumption order.

        Consumption order is :func:`~relationkit.domain.points.lot_key`: lots
        that expire first (soonest expiry first), then lots that never expire
        (oldest first), ties by id. ``after`` is the key of the last lot of
        the previous page; at most ``limit`` lots.
        """
        ...

    def due_lots(self, account_id: str, as_of: pendulum.DateTime) -> list[OpenLot]:
        """Return the account's pending lots with ``available_at <= as_of`` and its
        spendable lots with ``expires_at <= as_of``, in id order."""
        ...

    def lots_by_id(self, lot_ids: Sequence[str]) -> dict[str, OpenLot]:
        """Return the open lots among these ids, by id."""
        ...

    def lot_bounds(
        self, account_id: str
    ) -> tuple[pendulum.DateTime | None, pendulum.DateTime | None]:
        """Return the soonest ``available_at`` of the account's pending lots and the
        soonest ``expires_at`` of its spendable lots (None where there is none)."""
        ...

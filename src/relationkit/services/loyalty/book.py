"""One account's ledger inside a transaction: folded state plus entries to append.

The loyalty service works on a :class:`Book` per account: it loads the
entries once, folds them into a :class:`~relationkit.domain.ledger.LedgerState`
in ``seq`` order, and every new entry is numbered with the next ``seq``
(the account is locked), applied to the state and queued for one bulk
insert, with its event numbered on the account. A new entry that the state
cannot take (a debit of an unknown lot, a lot consumed past zero) is refused
before anything is written.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

import attrs
import pendulum

from relationkit._tx import Tx
from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry, LedgerState
from relationkit.domain.loyalty import LoyaltyProgram
from relationkit.errors import StorageError
from relationkit.events import (
    PointsActivated,
    PointsAdjusted,
    PointsEarned,
    PointsExpired,
    PointsPending,
    PointsRedeemed,
    PointsReversed,
)

__all__ = ["Book", "emit", "proportion"]


def proportion(points: int, part_minor: int, whole_minor: int) -> int:
    """Return ``points * part / whole`` rounded half to even (all of it when part == whole)."""
    if whole_minor <= 0 or part_minor >= whole_minor:
        return points
    exact = Decimal(points) * Decimal(part_minor) / Decimal(whole_minor)
    return int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))


@attrs.define
class Book:
    """An account's ledger as one transaction sees and extends it."""

    account_id: str
    entries: list[LedgerEntry]
    state: LedgerState
    timezone: str = "UTC"
    new: list[LedgerEntry] = attrs.field(factory=list)
    next_seq: int = 1

    @classmethod
    def load(cls, account_id: str, entries: Sequence[LedgerEntry], timezone: str = "UTC") -> Book:
        """Fold stored entries into a book; ``timezone`` is where expiry dates are counted."""
        ordered = sorted(entries, key=lambda e: e.seq)
        return cls(
            account_id=account_id,
            entries=ordered,
            state=LedgerState.replay(ordered),
            timezone=timezone,
            next_seq=ordered[-1].seq + 1 if ordered else 1,
        )

    def append(self, entry: LedgerEntry) -> LedgerEntry:
        """Apply ``entry`` and queue it for insertion (see :meth:`flush`).

        Raises:
            StorageError: the entry does not fit the stored ledger (it would
                take points from an unknown lot, or more than a lot holds);
                nothing is written.
        """
        known = len(self.state.problems)
        self.state.apply(entry)
        if len(self.state.problems) > known:
            problem = self.state.problems[known]
            del self.state.problems[known:]
            raise StorageError(
                f"ledger of account {self.account_id} refused a new entry: {problem}"
            )
        self.entries.append(entry)
        self.new.append(entry)
        return entry

    def flush(self, tx: Tx) -> list[LedgerEntry]:
        """Emit the events of the queued entries and hand them over for insertion."""
        new, self.new = self.new, []
        for entry in new:
            emit(tx, entry)
        return new

    def entry(
        self,
        tx: Tx,
        kind: EntryKind,
        points: int,
        *,
        at: pendulum.DateTime,
        **fields: object,
    ) -> LedgerEntry:
        """Build and append an entry of ``kind``."""
        entry = LedgerEntry(
            id=tx.ids.new("led"),
            account_id=self.account_id,
            seq=self.next_seq,
            kind=kind,
            points=points,
            at=at,
            recorded_at=tx.now,
            **fields,  # type: ignore[arg-type]
        )
        self.append(entry)
        self.next_seq += 1
        return entry

    # -- the operations every caller composes ---------------------------------

    def credit(
        self,
        tx: Tx,
        kind: EntryKind,
        points: int,
        *,
        at: pendulum.DateTime,
        expires_at: pendulum.DateTime | None,
        **fields: object,
    ) -> LedgerEntry:
        """Add spendable points; debt, if any, is paid first."""
        paid = min(self.state.debt, points)
        return self.entry(tx, kind, points, at=at, expires_at=expires_at, debt=paid, **fields)

    def debit(
        self,
        tx: Tx,
        kind: EntryKind,
        points: int,
        *,
        at: pendulum.DateTime,
        prefer: Collection[str] = (),
        **fields: object,
    ) -> LedgerEntry:
        """Take ``points`` from lots, soonest expiry first; the shortfall becomes debt."""
        allocations, shortfall = self.state.take(points, at, prefer=prefer)
        return self.entry(
            tx,
            kind,
            -points,
            at=at,
            allocations=tuple(allocations),
            debt=shortfall,
            **fields,
        )

    def settle(
        self, tx: Tx, as_of: pendulum.DateTime, program: LoyaltyProgram | None
    ) -> tuple[int, int]:
        """Activate pending points and expire lots due at ``as_of``.

        Returns:
            Points activated and points expired.
        """
        activated = expired = 0
        # An activation can open a lot that is itself past its expiry: go
        # round until nothing is due, so one call settles everything.
        while due := self.state.due(as_of):
            got, lost = self._settle_once(tx, due, program)
            activated += got
            expired += lost
        return activated, expired

    def _settle_once(
        self,
        tx: Tx,
        due: list[tuple[pendulum.DateTime, str, str]],
        program: LoyaltyProgram | None,
    ) -> tuple[int, int]:
        activated = expired = 0
        for when, action, lot_id in due:
            if action == "activate":
                pending = self.state.pending[lot_id]
                if pending.remaining <= 0:
                    continue
                expires_at = pending.expires_at
                if expires_at is None and program is not None:
                    expires_at = program.expiry.expires_at(when, self.timezone)
                self.credit(
                    tx,
                    EntryKind.ACTIVATE,
                    pending.remaining,
                    at=when,
                    expires_at=expires_at,
                    lot_id=lot_id,
                    source=pending.source,
                )
                activated += pending.remaining
            else:
                lot = self.state.lots[lot_id]
                if lot.remaining <= 0:
                    continue
                points = lot.remaining
                self.entry(
                    tx,
                    EntryKind.EXPIRE,
                    -points,
                    at=when,
                    lot_id=lot_id,
                    allocations=(Allocation(lot_id=lot_id, points=points),),
                    source=lot.source,
                )
                expired += points
        return activated, expired

    def by_source(self, source: str) -> list[LedgerEntry]:
        """Return this account's entries caused by ``source``."""
        return [e for e in self.entries if e.source == source]


def emit(tx: Tx, entry: LedgerEntry) -> None:
    """Number and keep the event that ``entry`` stands for."""
    size = abs(entry.points)
    common = {"points": size, "entry_id": entry.id}
    kind = entry.kind
    if kind is EntryKind.EARN:
        tx.emit(
            entry.account_id,
            PointsEarned,
            reason=entry.reason or "earn",
            source=entry.source,
            **common,
        )
    elif kind is EntryKind.PENDING:
        assert entry.available_at is not None
        tx.emit(
            entry.account_id,
            PointsPending,
            reason=entry.reason or "earn",
            source=entry.source,
            available_at=entry.available_at,
            **common,
        )
    elif kind is EntryKind.ACTIVATE:
        tx.emit(entry.account_id, PointsActivated, lot_id=entry.lot_id or "", **common)
    elif kind is EntryKind.REDEEM:
        tx.emit(entry.account_id, PointsRedeemed, idempotency_key=entry.idempotency_key, **common)
    elif kind is EntryKind.EXPIRE:
        tx.emit(entry.account_id, PointsExpired, lot_id=entry.lot_id or "", **common)
    elif kind in (EntryKind.REVERSE, EntryKind.VOID):
        tx.emit(
            entry.account_id,
            PointsReversed,
            source=entry.source or "",
            credit=entry.points > 0,
            from_pending=kind is EntryKind.VOID,
            **common,
        )
    else:
        tx.emit(
            entry.account_id,
            PointsAdjusted,
            reason=entry.reason or "adjust",
            credit=entry.points > 0,
            **common,
        )

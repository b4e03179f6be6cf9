"""Loyalty ledger entries: append-only, each debit linked to the lots it consumes."""

from __future__ import annotations

import enum
from collections.abc import Collection

import attrs
import pendulum

__all__ = ["Allocation", "EntryKind", "LedgerEntry"]


class EntryKind(enum.StrEnum):
    """What a ledger entry records.

    Credits open a *lot* (``earn``, ``activate``, a positive ``adjust``, a
    ``reverse`` that gives points back); debits consume lots (``redeem``,
    ``expire``, a negative ``reverse`` or ``adjust``). ``pending`` records
    points that are locked and not yet part of the balance; ``void`` cancels
    pending points before they activate.
    """

    EARN = "earn"
    PENDING = "pending"
    ACTIVATE = "activate"
    VOID = "void"
    REDEEM = "redeem"
    EXPIRE = "expire"
    REVERSE = "reverse"
    ADJUST = "adjust"


@attrs.frozen(kw_only=True)
class Allocation:
    """The part of a debit (or a void) taken from one lot."""

    lot_id: str
    points: int


@attrs.frozen(kw_only=True)
class LedgerEntry:
    """One immutable line of an account's points ledger.

    Attributes:
        seq: the entry's place in its account's ledger: 1, 2, 3, ... in the
            order entries were written, assigned under the account's lock.
            The ledger is folded in this order, never by id or clock.
        points: signed change; positive credits, negative debits. For
            ``pending`` and ``void`` it is the change of the pending amount.
        lot_id: for ``activate``, the pending entry it unlocks; for
            ``expire``, the lot it empties; None otherwise. (A credit's lot
            is the credit itself: its lot id is the entry's ``id``.)
        expires_at: for a credit, when the lot's remaining points expire.
        available_at: for ``pending``, when the points unlock.
        source: what caused the entry (``"order:1001"``, ``"refund:r-1"``).
        allocations: for a debit or void, the lots it took points from.
        debt: for a debit that went past the balance, the points owed (the
            part not covered by any lot); later credits pay debt first.
    """

    id: str
    account_id: str
    seq: int
    kind: EntryKind
    points: int
    at: pendulum.DateTime
    recorded_at: pendulum.DateTime
    lot_id: str | None = None
    expires_at: pendulum.DateTime | None = None
    available_at: pendulum.DateTime | None = None
    source: str | None = None
    reason: str | None = None
    idempotency_key: str | None = None
    allocations: tuple[Allocation, ...] = ()
    debt: int = 0


CREDIT_KINDS = frozenset({EntryKind.EARN, EntryKind.ACTIVATE})
"""Kinds that are always credits; ``adjust`` and ``reverse`` go either way."""


@attrs.define
class Lot:
    """Spendable points opened by one credit entry, as of some instant."""

    id: str
    points: int
    remaining: int
    expires_at: pendulum.DateTime | None
    at: pendulum.DateTime
    source: str | None


@attrs.define
class PendingLot:
    """Points awarded but locked until ``available_at``."""

    id: str
    points: int
    remaining: int
    available_at: pendulum.DateTime
    expires_at: pendulum.DateTime | None
    source: str | None
    settled: bool = False
    at: pendulum.DateTime | None = None


def is_credit(entry: LedgerEntry) -> bool:
    """Return whether ``entry`` adds spendable points (opens a lot)."""
    return entry.kind not in (EntryKind.PENDING, EntryKind.VOID) and entry.points > 0


def is_debit(entry: LedgerEntry) -> bool:
    """Return whether ``entry`` removes spendable points."""
    return entry.kind not in (EntryKind.PENDING, EntryKind.VOID) and entry.points < 0


@attrs.define
class LedgerState:
    """An account's ledger folded into lots, pending lots and debt.

    Everything here is derived from the entries; nothing of it is stored.
    """

    lots: dict[str, Lot] = attrs.field(factory=dict)
    pending: dict[str, PendingLot] = attrs.field(factory=dict)
    debt: int = 0
    problems: list[str] = attrs.field(factory=list)

    @classmethod
    def replay(cls, entries: list[LedgerEntry]) -> LedgerState:
        """Fold entries (in ``seq`` order, as stored) into the state they produce.

        Inconsistencies (an allocation to an unknown lot, a lot consumed past
        zero, ...) are collected in :attr:`problems` rather than raised, so
        :func:`verify` can report them all.
        """
        state = cls()
        for entry in entries:
            state.apply(entry)
        return state

    def apply(self, entry: LedgerEntry) -> None:
        """Fold one entry into the state."""
        problems = self.problems
        if entry.kind is EntryKind.PENDING:
            if entry.points <= 0 or entry.available_at is None:
                problems.append(f"{entry.id}: pending entry needs positive points and available_at")
                return
            self.pending[entry.id] = PendingLot(
                id=entry.id,
                points=entry.points,
                remaining=entry.points,
                available_at=entry.available_at,
                expires_at=entry.expires_at,
                source=entry.source,
                at=entry.at,
            )
            return
        if entry.kind is EntryKind.VOID:
            for alloc in entry.allocations:
                pend = self.pending.get(alloc.lot_id)
                if pend is None or pend.settled:
                    problems.append(
                        f"{entry.id}: voids unknown or settled pending lot {alloc.lot_id}"
                    )
                    continue
                pend.remaining -= alloc.points
                if pend.remaining < 0:
                    problems.append(f"{entry.id}: voids more than pending lot {alloc.lot_id} holds")
            if -entry.points != sum(a.points for a in entry.allocations) or entry.points >= 0:
                problems.append(f"{entry.id}: void points do not match its allocations")
            return
        if entry.kind is EntryKind.ACTIVATE:
            pend = self.pending.get(entry.lot_id or "")
            if pend is None or pend.settled:
                problems.append(
                    f"{entry.id}: activates unknown or settled pending lot {entry.lot_id}"
                )
            else:
                pend.settled = True
                if pend.remaining != entry.points:
                    problems.append(
                        f"{entry.id}: activates {entry.points} points, "
                        f"pending lot holds {pend.remaining}"
                    )
        if is_credit(entry):
            if not 0 <= entry.debt <= entry.points:
                problems.append(f"{entry.id}: credit pays an impossible debt of {entry.debt}")
            if entry.debt > self.debt:
                problems.append(f"{entry.id}: pays {entry.debt} of debt, only {self.debt} owed")
            if entry.debt < min(self.debt, entry.points):
                problems.append(f"{entry.id}: leaves debt unpaid while crediting points")
            self.debt -= entry.debt
            self.lots[entry.id] = Lot(
                id=entry.id,
                points=entry.points,
                remaining=entry.points - entry.debt,
                expires_at=entry.expires_at,
                at=entry.at,
                source=entry.source,
            )
            return
        if is_debit(entry):
            allocated = 0
            for alloc in entry.allocations:
                lot = self.lots.get(alloc.lot_id)
                if lot is None:
                    problems.append(f"{entry.id}: takes points from unknown lot {alloc.lot_id}")
                    continue
                if alloc.points <= 0:
                    problems.append(f"{entry.id}: non-positive allocation from {alloc.lot_id}")
                lot.remaining -= alloc.points
                allocated += alloc.points
                if lot.remaining < 0:
                    problems.append(f"{entry.id}: lot {alloc.lot_id} consumed past zero")
            if allocated + entry.debt != -entry.points:
                problems.append(f"{entry.id}: allocations and debt do not add up to the debit")
            if entry.debt < 0:
                problems.append(f"{entry.id}: negative debt")
            self.debt += entry.debt
            return
        problems.append(f"{entry.id}: entry of zero points")

    # -- derived amounts -----------------------------------------------------

    def spendable(self, as_of: pendulum.DateTime) -> list[Lot]:
        """Return lots with points left that are not expired at ``as_of``,
        soonest expiry first (never-expiring last), then oldest first."""
        alive = [
            lot
            for lot in self.lots.values()
            if lot.remaining > 0 and (lot.expires_at is None or lot.expires_at > as_of)
        ]
        alive.sort(key=_consumption_order)
        return alive

    def balance(self, as_of: pendulum.DateTime) -> int:
        """Spendable points at ``as_of`` minus debt (negative while in debt)."""
        return sum(lot.remaining for lot in self.spendable(as_of)) - self.debt

    def pending_points(self) -> int:
        """Points awarded and still locked."""
        return sum(max(p.remaining, 0) for p in self.pending.values() if not p.settled)

    def expiring(self, as_of: pendulum.DateTime, until: pendulum.DateTime) -> int:
        """Points that will expire after ``as_of`` and by ``until`` unless spent."""
        return sum(
            lot.remaining
            for lot in self.spendable(as_of)
            if lot.expires_at is not None and lot.expires_at <= until
        )

    def take(
        self, points: int, as_of: pendulum.DateTime, prefer: Collection[str] = ()
    ) -> tuple[list[Allocation], int]:
        """Choose the lots a debit of ``points`` consumes at ``as_of``.

        Lots go soonest expiry first; lots in ``prefer`` go first of all
        (a refund takes back the order's own points first).

        Returns:
            The allocations and the shortfall (points no lot covers).
        """
        lots = self.spendable(as_of)
        if prefer:
            lots.sort(key=lambda lot: lot.id not in prefer)
        allocations = []
        left = points
        for lot in lots:
            if left == 0:
                break
            used = min(lot.remaining, left)
            allocations.append(Allocation(lot_id=lot.id, points=used))
            left -= used
        return allocations, left

    def due(self, as_of: pendulum.DateTime) -> list[tuple[pendulum.DateTime, str, str]]:
        """Return what ``process_due`` must do at ``as_of``, in time order.

        Each item is ``(when, "activate" | "expire", lot id)``.
        """
        items = [
            (p.available_at, "activate", p.id)
            for p in self.pending.values()
            if not p.settled and p.remaining > 0 and p.available_at <= as_of
        ]
        items += [
            (lot.expires_at, "expire", lot.id)
            for lot in self.lots.values()
            if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= as_of
        ]
        items.sort(key=lambda item: (item[0], item[1] != "activate", item[2]))
        return items


def _consumption_order(lot: Lot) -> tuple[bool, pendulum.DateTime, str]:
    far = lot.expires_at if lot.expires_at is not None else lot.at
    return (lot.expires_at is None, far, lot.id)

"""The loyalty ledger folded: lots, pending lots, holds and debt, derived from entries.

The entries themselves (:class:`EntryKind`, :class:`LedgerEntry`,
:class:`Allocation`) live in :mod:`relationkit.domain.ledger_entries` and
are re-exported here, where the rest of the package imports them from.
"""

from __future__ import annotations

from collections.abc import Collection

import attrs
import pendulum

from relationkit.domain.ledger_entries import (
    Allocation,
    EntryKind,
    LedgerEntry,
    is_credit,
    is_debit,
)

__all__ = ["Allocation", "EntryKind", "LedgerEntry"]


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
class HeldPoints:
    """Points a hold reserves, and how the hold ended (once it has).

    ``closed_by`` is the id of the ``release`` or capturing ``redeem``
    entry; ``status`` one of ``"held"``, ``"captured"``, ``"released"``,
    ``"expired"``.
    """

    id: str
    points: int
    expires_at: pendulum.DateTime
    at: pendulum.DateTime
    idempotency_key: str | None
    status: str = "held"
    closed_by: str | None = None
    closed_at: pendulum.DateTime | None = None
    captured: int = 0
    order_id: str | None = None


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


@attrs.define
class LedgerState:
    """An account's ledger folded into lots, pending lots and debt.

    Everything here is derived from the entries; nothing of it is stored.
    """

    lots: dict[str, Lot] = attrs.field(factory=dict)
    pending: dict[str, PendingLot] = attrs.field(factory=dict)
    debt: int = 0
    problems: list[str] = attrs.field(factory=list)
    holds: dict[str, HeldPoints] = attrs.field(factory=dict)

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
        if entry.kind in (EntryKind.HOLD, EntryKind.RELEASE):
            self._apply_hold(entry)
            return
        if entry.kind is EntryKind.REDEEM and entry.lot_id is not None:
            self._capture(entry)
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

    def _apply_hold(self, entry: LedgerEntry) -> None:
        """Open a hold, or close one with a release."""
        if entry.kind is EntryKind.HOLD:
            if entry.points <= 0 or entry.expires_at is None or entry.id in self.holds:
                self.problems.append(f"{entry.id}: hold needs positive points and expires_at")
                return
            self.holds[entry.id] = HeldPoints(
                id=entry.id,
                points=entry.points,
                expires_at=entry.expires_at,
                at=entry.at,
                idempotency_key=entry.idempotency_key,
            )
            return
        hold = self.holds.get(entry.lot_id or "")
        if hold is None or hold.status != "held":
            self.problems.append(f"{entry.id}: releases unknown or closed hold {entry.lot_id}")
            return
        if entry.points != -hold.points:
            self.problems.append(f"{entry.id}: releases {-entry.points} of {hold.points} held")
        hold.status = "expired" if entry.reason == "expired" else "released"
        hold.closed_by, hold.closed_at = entry.id, entry.at

    def _capture(self, entry: LedgerEntry) -> None:
        """Close the hold an order's redemption captures (``lot_id``)."""
        hold = self.holds.get(entry.lot_id or "")
        if hold is None or hold.status != "held":
            self.problems.append(f"{entry.id}: captures unknown or closed hold {entry.lot_id}")
            return
        hold.status = "captured"
        hold.closed_by, hold.closed_at = entry.id, entry.at
        hold.captured = -entry.points
        source = entry.source or ""
        hold.order_id = source.removeprefix("order:") if source.startswith("order:") else None

    # -- derived amounts -----------------------------------------------------

    def held(self) -> int:
        """Points reserved by holds still open (not spendable by anything else)."""
        return sum(h.points for h in self.holds.values() if h.status == "held")

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

        Each item is ``(when, "activate" | "release" | "expire", lot or hold id)``.
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
        # A hold that lapsed gives its points back before anything expires.
        items += [
            (h.expires_at, "release", h.id)
            for h in self.holds.values()
            if h.status == "held" and h.expires_at <= as_of
        ]
        order = {"activate": 0, "release": 1, "expire": 2}
        items.sort(key=lambda item: (item[0], order[item[1]], item[2]))
        return items


def _consumption_order(lot: Lot) -> tuple[bool, pendulum.DateTime, str]:
    far = lot.expires_at if lot.expires_at is not None else lot.at
    return (lot.expires_at is None, far, lot.id)

"""An account's loyalty state as stored beside its ledger: derived, re-derivable.

The ledger's entries are the truth. What a write needs to decide (the
balance, debt, pending points, the lots that still hold points) is kept in
the store as a :class:`PointsState` per account and an :class:`OpenLot` per
lot with points left, updated in the same transaction as the entries, so a
write reads what it touches and never the account's history.
``kit.loyalty.verify()`` folds the entries and compares; ``rebuild()``
writes the fold back.
"""

from __future__ import annotations

import attrs
import pendulum

from relationkit.domain.ledger import LedgerState, Lot, PendingLot

__all__ = ["LotKey", "OpenLot", "PointsState", "derive", "lot_key", "open_lots_of", "state_of"]

LotKey = tuple[bool, pendulum.DateTime, str]
"""Where a lot stands in consumption order: ``(never expires, expiry or opening, id)``."""


@attrs.frozen(kw_only=True)
class PointsState:
    """One account's loyalty position as its last ledger write left it.

    Attributes:
        account_id: the account.
        last_seq: the ``seq`` of the account's last ledger entry (0: none).
        balance: points left in the account's open lots minus its debt, as
            of the last write (a lot that expired since is still counted
            until a write or ``process_due`` settles it).
        pending: points awarded and still locked.
        debt: points owed after a refund took back points already spent.
        earned: points earned over the account's life (earn and activate
            entries, net of refund reversals).
        next_activation: the soonest ``available_at`` of a pending lot.
        next_expiry: the soonest ``expires_at`` of an open lot.
        next_due: the soonest of ``next_activation``, ``next_expiry`` and
            ``next_release``: when ``process_due`` has work here.
        held: points reserved by open holds (``kit.loyalty.hold``): still
            in ``balance``, but not spendable by a redemption or another hold.
        next_release: the soonest ``expires_at`` of an open hold.
    """

    account_id: str
    last_seq: int = 0
    balance: int = 0
    pending: int = 0
    debt: int = 0
    earned: int = 0
    next_activation: pendulum.DateTime | None = None
    next_expiry: pendulum.DateTime | None = None
    next_due: pendulum.DateTime | None = None
    held: int = 0
    next_release: pendulum.DateTime | None = None


@attrs.frozen(kw_only=True)
class OpenLot:
    """A lot that still holds points: a credit with points left, or pending points.

    Attributes:
        id: the id of the entry that opened it (a credit, or a ``pending`` entry).
        account_id: the account.
        pending: True for points still locked in their return window.
        points: what the lot opened with.
        remaining: what it holds now (> 0).
        at: when the opening entry happened.
        expires_at: when what is left expires (None: never; for pending
            points, a fixed expiry carried to the activation).
        available_at: for pending points, when they unlock.
        source: what caused the opening entry (``"order:1001"``, ...).
    """

    id: str
    account_id: str
    pending: bool
    points: int
    remaining: int
    at: pendulum.DateTime
    expires_at: pendulum.DateTime | None = None
    available_at: pendulum.DateTime | None = None
    source: str | None = None


def lot_key(lot: OpenLot | Lot) -> LotKey:
    """Return the lot's place in consumption order (the order debits take lots in).

    Lots that expire come first, soonest expiry first; lots that never expire
    follow, oldest first; ties go by id. The same order as
    :meth:`~relationkit.domain.ledger.LedgerState.spendable`.
    """
    if lot.expires_at is not None:
        return (False, lot.expires_at, lot.id)
    return (True, lot.at, lot.id)


def open_lots_of(account_id: str, state: LedgerState) -> list[OpenLot]:
    """Return the lots of a folded ledger that still hold points, in id order."""
    out = [
        OpenLot(
            id=lot.id,
            account_id=account_id,
            pending=False,
            points=lot.points,
            remaining=lot.remaining,
            at=lot.at,
            expires_at=lot.expires_at,
            source=lot.source,
        )
        for lot in state.lots.values()
        if lot.remaining > 0
    ]
    out += [
        OpenLot(
            id=p.id,
            account_id=account_id,
            pending=True,
            points=p.points,
            remaining=p.remaining,
            at=p.at if p.at is not None else p.available_at,
            expires_at=p.expires_at,
            available_at=p.available_at,
            source=p.source,
        )
        for p in state.pending.values()
        if not p.settled and p.remaining > 0
    ]
    out.sort(key=lambda lot: lot.id)
    return out


def derive(account_id: str, state: LedgerState, *, last_seq: int, earned: int) -> PointsState:
    """Return the :class:`PointsState` a folded ledger gives."""
    lots = [lot for lot in state.lots.values() if lot.remaining > 0]
    pending = [p for p in state.pending.values() if not p.settled and p.remaining > 0]
    expiries = [lot.expires_at for lot in lots if lot.expires_at is not None]
    activations = [p.available_at for p in pending]
    next_expiry = min(expiries) if expiries else None
    next_activation = min(activations) if activations else None
    releases = [h.expires_at for h in state.holds.values() if h.status == "held"]
    next_release = min(releases) if releases else None
    dues = [d for d in (next_expiry, next_activation, next_release) if d is not None]
    return PointsState(
        account_id=account_id,
        last_seq=last_seq,
        balance=sum(lot.remaining for lot in lots) - state.debt,
        pending=sum(p.remaining for p in pending),
        debt=state.debt,
        earned=earned,
        next_activation=next_activation,
        next_expiry=next_expiry,
        next_due=min(dues) if dues else None,
        held=state.held(),
        next_release=next_release,
    )


def state_of(lots: list[OpenLot], debt: int) -> LedgerState:
    """Return a :class:`LedgerState` holding exactly these open lots and this debt."""
    folded = LedgerState(debt=debt)
    for lot in lots:
        if lot.pending:
            assert lot.available_at is not None
            folded.pending[lot.id] = PendingLot(
                id=lot.id,
                points=lot.points,
                remaining=lot.remaining,
                available_at=lot.available_at,
                expires_at=lot.expires_at,
                source=lot.source,
                at=lot.at,
            )
        else:
            folded.lots[lot.id] = Lot(
                id=lot.id,
                points=lot.points,
                remaining=lot.remaining,
                expires_at=lot.expires_at,
                at=lot.at,
                source=lot.source,
            )
    return folded

"""The event each kind of ledger entry stands for."""

from __future__ import annotations

from relationkit._tx import Tx
from relationkit.domain.ledger import EntryKind, LedgerEntry
from relationkit.events import (
    HoldCaptured,
    HoldPlaced,
    HoldReleased,
    PointsActivated,
    PointsAdjusted,
    PointsEarned,
    PointsExpired,
    PointsPending,
    PointsRedeemed,
    PointsReversed,
)

__all__ = ["emit"]


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
        if entry.lot_id is not None:
            order = (entry.source or "").removeprefix("order:")
            tx.emit(entry.account_id, HoldCaptured, hold_id=entry.lot_id, order_id=order, **common)
    elif kind is EntryKind.HOLD:
        assert entry.expires_at is not None
        tx.emit(
            entry.account_id,
            HoldPlaced,
            hold_id=entry.id,
            expires_at=entry.expires_at,
            idempotency_key=entry.idempotency_key or "",
            **common,
        )
    elif kind is EntryKind.RELEASE:
        tx.emit(
            entry.account_id,
            HoldReleased,
            hold_id=entry.lot_id or "",
            expired=entry.reason == "expired",
            **common,
        )
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

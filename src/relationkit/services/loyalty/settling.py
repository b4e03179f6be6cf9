"""Settling an account: pending points that unlocked, holds and lots that lapsed, each an entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pendulum

from relationkit._tx import Tx
from relationkit.domain.ledger import Allocation, EntryKind
from relationkit.domain.loyalty import LoyaltyProgram

if TYPE_CHECKING:
    from relationkit.services.loyalty.book import Book

__all__ = ["settle"]


def settle(
    book: Book, tx: Tx, as_of: pendulum.DateTime, program: LoyaltyProgram | None
) -> tuple[int, int]:
    """Activate pending points and expire lots due at ``as_of``.

    Returns:
        Points activated and points expired.
    """
    activated = expired = 0
    # An activation can open a lot that is itself past its expiry: go
    # round until nothing is due, so one call settles everything.
    while due := book.state.due(as_of):
        got, lost = _settle_once(book, tx, due, program)
        activated += got
        expired += lost
    return activated, expired


def _settle_once(
    book: Book,
    tx: Tx,
    due: list[tuple[pendulum.DateTime, str, str]],
    program: LoyaltyProgram | None,
) -> tuple[int, int]:
    activated = expired = 0
    for when, action, lot_id in due:
        if action == "activate":
            pending = book.state.pending[lot_id]
            if pending.remaining <= 0:
                continue
            expires_at = pending.expires_at
            if expires_at is None and program is not None:
                expires_at = program.expiry.expires_at(when, book.timezone)
            book.credit(
                tx,
                EntryKind.ACTIVATE,
                pending.remaining,
                at=when,
                expires_at=expires_at,
                lot_id=lot_id,
                source=pending.source,
            )
            activated += pending.remaining
        elif action == "release":
            # A hold that lapsed unused: its points are spendable again.
            held = book.state.holds[lot_id]
            if held.status != "held":
                continue
            book.entry(
                tx,
                EntryKind.RELEASE,
                -held.points,
                at=when,
                lot_id=lot_id,
                reason="expired",
                source=f"hold:{held.idempotency_key}",
            )
        else:
            lot = book.state.lots[lot_id]
            if lot.remaining <= 0:
                continue
            points = lot.remaining
            book.entry(
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

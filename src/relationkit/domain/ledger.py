"""Loyalty ledger entries: append-only, each debit linked to the lots it consumes."""

from __future__ import annotations

import enum

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
        points: signed change; positive credits, negative debits. For
            ``pending`` and ``void`` it is the change of the pending amount.
        lot_id: for a credit, the lot it opens (its own id); for ``activate``,
            the pending entry it unlocks.
        expires_at: for a credit, when the lot's remaining points expire.
        available_at: for ``pending``, when the points unlock.
        source: what caused the entry (``"order:1001"``, ``"refund:r-1"``).
        allocations: for a debit or void, the lots it took points from.
        debt: for a debit that went past the balance, the points owed (the
            part not covered by any lot); later credits pay debt first.
    """

    id: str
    account_id: str
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

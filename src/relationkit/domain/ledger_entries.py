"""Loyalty ledger entries: append-only, each debit linked to the lots it consumes.

What an entry records (:class:`EntryKind`), the entry itself and the parts
of a debit (:class:`Allocation`). Folding entries into lots, pending lots,
holds and debt is :mod:`relationkit.domain.ledger`'s concern.
"""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs
import pendulum

__all__ = ["CREDIT_KINDS", "Allocation", "EntryKind", "LedgerEntry", "is_credit", "is_debit"]


class EntryKind(enum.StrEnum):
    """What a ledger entry records.

    Credits open a *lot* (``earn``, ``activate``, a positive ``adjust``, a
    ``reverse`` that gives points back); debits consume lots (``redeem``,
    ``expire``, a negative ``reverse`` or ``adjust``). ``pending`` records
    points that are locked and not yet part of the balance; ``void`` cancels
    pending points before they activate. ``hold`` reserves points for a
    checkout and ``release`` gives the reservation up (a cancelled checkout,
    or the hold's expiry); neither changes the balance, only the held
    points. A hold is captured by the ``redeem`` entry of the order it paid,
    whose ``lot_id`` names the hold.

    Attributes:
        EARN: ``"earn"``: points earned and spendable at once (an order, a
            bonus, ``kit.loyalty.earn``); a credit.
        PENDING: ``"pending"``: points awarded but locked for the return
            window; not part of the balance yet.
        ACTIVATE: ``"activate"``: pending points unlocked (``lot_id`` names
            the pending entry); a credit.
        VOID: ``"void"``: pending points cancelled before they unlocked (a
            refund inside the return window).
        REDEEM: ``"redeem"``: points spent (``kit.loyalty.redeem``, or an
            order's ``points_used``); a debit. An order that captures a hold
            names it in ``lot_id``.
        EXPIRE: ``"expire"``: a lot's remaining points reached their expiry
            (``lot_id`` names the lot); a debit.
        REVERSE: ``"reverse"``: a refund's correction: points taken back
            (a debit) or, for an order paid with points, given back (a credit).
        ADJUST: ``"adjust"``: a manual correction (``kit.loyalty.adjust``) or a
            written-off shortfall; either direction.
        HOLD: ``"hold"``: points reserved for a checkout
            (``kit.loyalty.hold``); ``points`` is the change of the held
            amount (positive), ``expires_at`` when the hold lapses.
        RELEASE: ``"release"``: a hold given up (``lot_id`` names it);
            ``points`` is minus what it held, ``reason`` is ``"released"``
            or ``"expired"``.
    """

    EARN = "earn"
    PENDING = "pending"
    ACTIVATE = "activate"
    VOID = "void"
    REDEEM = "redeem"
    EXPIRE = "expire"
    REVERSE = "reverse"
    ADJUST = "adjust"
    HOLD = "hold"
    RELEASE = "release"


@attrs.frozen(kw_only=True)
class Allocation:
    """The part of a debit (or a void) taken from one lot.

    Attributes:
        lot_id: the id of the credit (or pending) entry the points came from.
        points: how many points were taken from it (positive).
    """

    lot_id: str
    points: int


@attrs.frozen(kw_only=True)
class LedgerEntry:
    """One immutable line of an account's points ledger.

    Attributes:
        id: the entry's id; a credit's lot has the same id.
        account_id: the account whose ledger it belongs to.
        seq: the entry's place in its account's ledger: 1, 2, 3, ... in the
            order entries were written, assigned under the account's lock.
            The ledger is folded in this order, never by id or clock.
        kind: what the entry records (:class:`EntryKind`).
        points: signed change; positive credits, negative debits. For
            ``pending`` and ``void`` it is the change of the pending amount.
        at: when the change took effect (an order's date for its points,
            the expiry instant for ``expire``), in UTC.
        recorded_at: when relationkit wrote the entry, from the kit's clock.
        lot_id: for ``activate``, the pending entry it unlocks; for
            ``expire``, the lot it empties; for ``release`` and a capturing
            ``redeem``, the hold (its ``hold`` entry's id); None otherwise. (A credit's lot
            is the credit itself: its lot id is the entry's ``id``.)
        expires_at: for a credit, when the lot's remaining points expire;
            for a ``hold``, when the hold lapses.
        available_at: for ``pending``, when the points unlock.
        source: what caused the entry (``"order:1001"``, ``"refund:r-1"``).
        reason: a short label (``"purchase"``, ``"refund"``, ``"write_off"``,
            or the reason the host gave), or None.
        idempotency_key: the host's key for ``earn``, ``redeem`` and
            ``adjust`` calls (a retry with it writes nothing new), or None.
        allocations: for a debit or void, the lots it took points from.
        debt: for a debit that went past the balance, the points owed (the
            part not covered by any lot); later credits pay debt first.
        rate: for points earned through an order in another currency than
            the program's, the rate it earned at (units of the program's
            currency per unit of ``source_currency``), fixed at purchase;
            None otherwise.
        source_currency: the currency of that order; None otherwise.
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
    rate: Decimal | None = None
    source_currency: str | None = None


CREDIT_KINDS = frozenset({EntryKind.EARN, EntryKind.ACTIVATE})
"""Kinds that are always credits; ``adjust`` and ``reverse`` go either way."""


_BALANCE_NEUTRAL = frozenset({"pending", "void", "hold", "release"})


def is_credit(entry: LedgerEntry) -> bool:
    """Return whether ``entry`` adds spendable points (opens a lot)."""
    return entry.kind.value not in _BALANCE_NEUTRAL and entry.points > 0


def is_debit(entry: LedgerEntry) -> bool:
    """Return whether ``entry`` removes spendable points."""
    return entry.kind.value not in _BALANCE_NEUTRAL and entry.points < 0

"""Points held at checkout: a reservation a paid order captures or a cancelled one releases.

A hold is written to the ledger as a ``hold`` entry (the reservation) and
closed by exactly one later entry: a ``release`` (``reason="released"`` for
a cancelled checkout, ``"expired"`` when it lapsed) or the ``redeem`` entry
of the order that captured it (its ``lot_id`` names the hold). Neither the
hold nor its release changes the balance; the held points are kept in the
account's state row (:attr:`~relationkit.domain.points.PointsState.held`)
and are not spendable by a redemption or another hold.

:class:`Hold` is the derived view of one hold, kept in the store beside the
state row (one row per hold, open or closed) and re-derivable from the
ledger like the open lots.
"""

from __future__ import annotations

import enum

import attrs
import pendulum

from relationkit.domain.ledger import HeldPoints, LedgerState

__all__ = ["Hold", "HoldStatus", "held_points", "hold_of", "holds_of"]


class HoldStatus(enum.StrEnum):
    """Where a hold stands.

    Attributes:
        HELD: ``"held"``: the points are reserved.
        CAPTURED: ``"captured"``: an order paid with them (``order_id``).
        RELEASED: ``"released"``: the checkout was cancelled
            (``kit.loyalty.release``).
        EXPIRED: ``"expired"``: the hold lapsed at ``expires_at``
            unused; its points are spendable again.
    """

    HELD = "held"
    CAPTURED = "captured"
    RELEASED = "released"
    EXPIRED = "expired"


@attrs.frozen(kw_only=True)
class Hold:
    """Points reserved for one checkout.

    Attributes:
        id: the hold's id: the id of its ``hold`` ledger entry (``led_...``).
        account_id: the account whose points are held.
        points: the points reserved.
        idempotency_key: the host's key for the checkout (a retry of
            ``kit.loyalty.hold`` with it returns this hold).
        created_at: when the hold was placed (the kit's clock).
        expires_at: when it lapses unless captured or released.
        status: :class:`HoldStatus`.
        closed_at: when it was captured, released or expired (None while held).
        closed_by: the id of the entry that closed it (the order's
            ``redeem``, or the ``release``); None while held.
        captured: the points the order spent (0 unless captured).
        order_id: the order that captured it, or None.
    """

    id: str
    account_id: str
    points: int
    idempotency_key: str
    created_at: pendulum.DateTime
    expires_at: pendulum.DateTime
    status: HoldStatus = HoldStatus.HELD
    closed_at: pendulum.DateTime | None = None
    closed_by: str | None = None
    captured: int = 0
    order_id: str | None = None

    @property
    def open(self) -> bool:
        """True while the points are reserved."""
        return self.status is HoldStatus.HELD


def hold_of(account_id: str, held: HeldPoints) -> Hold:
    """Return the :class:`Hold` a folded hold stands for."""
    return Hold(
        id=held.id,
        account_id=account_id,
        points=held.points,
        idempotency_key=held.idempotency_key or "",
        created_at=held.at,
        expires_at=held.expires_at,
        status=HoldStatus(held.status),
        closed_at=held.closed_at,
        closed_by=held.closed_by,
        captured=held.captured,
        order_id=held.order_id,
    )


def holds_of(account_id: str, state: LedgerState) -> list[Hold]:
    """Return every hold of a folded ledger, open or closed, in id order."""
    return sorted((hold_of(account_id, h) for h in state.holds.values()), key=lambda h: h.id)


def held_points(hold: Hold) -> HeldPoints:
    """Return the mutable fold of a stored hold (a book adopting it)."""
    return HeldPoints(
        id=hold.id,
        points=hold.points,
        expires_at=hold.expires_at,
        at=hold.created_at,
        idempotency_key=hold.idempotency_key,
        status=hold.status.value,
        closed_by=hold.closed_by,
        closed_at=hold.closed_at,
        captured=hold.captured,
        order_id=hold.order_id,
    )

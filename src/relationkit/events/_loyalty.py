"""Events of the loyalty ledger (points and holds) and of loyalty tiers."""

from __future__ import annotations

import attrs
import pendulum

from relationkit.events._base import AccountEvent

__all__ = [
    "HoldCaptured",
    "HoldPlaced",
    "HoldReleased",
    "LoyaltyEvent",
    "PointsActivated",
    "PointsAdjusted",
    "PointsEarned",
    "PointsExpired",
    "PointsPending",
    "PointsRedeemed",
    "PointsReversed",
    "TierChanged",
]


@attrs.frozen(kw_only=True)
class LoyaltyEvent(AccountEvent):
    """Base of the loyalty ledger's events; ``points`` is always positive.

    Each stands for one :class:`~relationkit.LedgerEntry`.

    Attributes:
        points: the size of the change (positive; the event's type says
            its direction).
        entry_id: the id of the ledger entry the event stands for.
    """

    points: int
    entry_id: str


@attrs.frozen(kw_only=True)
class PointsEarned(LoyaltyEvent):
    """Points became spendable at once (no pending period).

    Attributes:
        reason: why: ``"purchase"`` (an order's points, its first-purchase
            bonus included), ``"referral"`` or ``"referred"`` (the referral
            bonuses), or the reason given to ``kit.loyalty.earn``
            (``"manual"`` by default).
        source: what caused it (``"order:1001"``, ``"earn:<idempotency key>"``).
    """

    reason: str
    source: str | None = None


@attrs.frozen(kw_only=True)
class PointsPending(LoyaltyEvent):
    """Points were awarded but stay locked until ``available_at``.

    Attributes:
        reason: why, as for :class:`PointsEarned`.
        source: what caused it, as for :class:`PointsEarned`.
        available_at: when the points unlock (the program's ``pending_days``
            after the purchase); ``kit.loyalty.process_due`` then emits
            :class:`PointsActivated`.
    """

    reason: str
    source: str | None = None
    available_at: pendulum.DateTime


@attrs.frozen(kw_only=True)
class PointsActivated(LoyaltyEvent):
    """Pending points became spendable.

    Attributes:
        lot_id: the entry id of the :class:`PointsPending` points it unlocks.
    """

    lot_id: str


@attrs.frozen(kw_only=True)
class PointsRedeemed(LoyaltyEvent):
    """Points were spent.

    Attributes:
        idempotency_key: the key given to ``kit.loyalty.redeem``, or None
            when points paid for an order (``points_used``).
    """

    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class PointsExpired(LoyaltyEvent):
    """Points of a lot reached their expiry.

    Attributes:
        lot_id: the entry id of the credit whose remaining points expired.
    """

    lot_id: str


@attrs.frozen(kw_only=True)
class PointsReversed(LoyaltyEvent):
    """Points were taken back (refund) or given back (refunded order paid with points).

    ``from_pending`` tells locked points voided inside the return window
    (the balance did not change) from spendable points taken back.

    Attributes:
        source: what caused it (``"refund:r-1"``).
        credit: True when points were given back (the refunded order was
            paid with points), False when they were taken back.
        from_pending: True when the points were still locked (a ``void``
            entry), False when they were spendable.
    """

    source: str
    credit: bool = False
    from_pending: bool = False


@attrs.frozen(kw_only=True)
class PointsAdjusted(LoyaltyEvent):
    """A manual correction; ``points`` is its size, ``credit`` its direction.

    Also emitted when a refund's shortfall is written off
    (``negative_balance="write_off"``).

    Attributes:
        reason: the reason given to ``kit.loyalty.adjust`` (``"write_off"``
            for a written-off shortfall).
        credit: True when points were added, False when they were removed.
    """

    reason: str
    credit: bool


@attrs.frozen(kw_only=True)
class HoldPlaced(LoyaltyEvent):
    """Points were reserved for a checkout (``kit.loyalty.hold``).

    ``points`` is what the hold reserves; ``entry_id`` its ``hold`` entry.

    Attributes:
        hold_id: the hold's id (the same as ``entry_id``).
        expires_at: when the hold lapses unless captured or released.
        idempotency_key: the host's key for the checkout.
    """

    hold_id: str
    expires_at: pendulum.DateTime
    idempotency_key: str


@attrs.frozen(kw_only=True)
class HoldReleased(LoyaltyEvent):
    """A hold gave its points back: its checkout was cancelled, or it lapsed.

    ``points`` is what it held; ``entry_id`` its ``release`` entry.

    Attributes:
        hold_id: the hold's id.
        expired: True when it lapsed at its ``expires_at``, False when
            ``kit.loyalty.release`` gave it up.
    """

    hold_id: str
    expired: bool = False


@attrs.frozen(kw_only=True)
class HoldCaptured(LoyaltyEvent):
    """An order paid with a hold's points (``record(..., hold_id=...)``).

    ``points`` is what the order spent; ``entry_id`` its ``redeem`` entry
    (which also emits :class:`PointsRedeemed`).

    Attributes:
        hold_id: the hold's id.
        order_id: the order that captured it.
    """

    hold_id: str
    order_id: str


@attrs.frozen(kw_only=True)
class TierChanged(AccountEvent):
    """The account's loyalty tier changed (None: no tier).

    Attributes:
        old_tier: the tier's name before, or None.
        new_tier: the tier's name now, or None.
    """

    old_tier: str | None
    new_tier: str | None

"""Typed events, dispatched to hooks after the transaction that made them true.

Every event is a frozen attrs class with ``event_id``, ``occurred_at`` (when
relationkit recorded it, from the kit's clock), ``aggregate_id`` (the account
the change belongs to) and ``sequence`` (1, 2, 3, ... per account, with no gaps
among committed events).

Subscribe to :class:`Event` to receive everything, or to an intermediate base
such as :class:`LoyaltyEvent` for a family.
"""

from __future__ import annotations

from relationkit.events._accounts import (
    AccountCreated,
    AccountUpdated,
    ContactAdded,
    CustomerCreated,
    CustomerLeft,
    CustomerMoved,
    CustomerUpdated,
)
from relationkit.events._base import AccountEvent, Event
from relationkit.events._engagement import InteractionLogged, ScoreChanged, StageChanged
from relationkit.events._loyalty import (
    HoldCaptured,
    HoldPlaced,
    HoldReleased,
    LoyaltyEvent,
    PointsActivated,
    PointsAdjusted,
    PointsEarned,
    PointsExpired,
    PointsPending,
    PointsRedeemed,
    PointsReversed,
    TierChanged,
)
from relationkit.events._purchases import PurchaseRecorded, PurchaseRefunded

__all__ = [
    "AccountCreated",
    "AccountEvent",
    "AccountUpdated",
    "ContactAdded",
    "CustomerCreated",
    "CustomerLeft",
    "CustomerMoved",
    "CustomerUpdated",
    "Event",
    "HoldCaptured",
    "HoldPlaced",
    "HoldReleased",
    "InteractionLogged",
    "LoyaltyEvent",
    "PointsActivated",
    "PointsAdjusted",
    "PointsEarned",
    "PointsExpired",
    "PointsPending",
    "PointsRedeemed",
    "PointsReversed",
    "PurchaseRecorded",
    "PurchaseRefunded",
    "ScoreChanged",
    "StageChanged",
    "TierChanged",
]

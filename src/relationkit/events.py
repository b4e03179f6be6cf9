"""Typed events, dispatched to hooks after the transaction that made them true.

Every event is a frozen attrs class with ``event_id``, ``occurred_at`` (when
relationkit recorded it, from the kit's clock), ``aggregate_id`` (the account
the change belongs to) and ``sequence`` (1, 2, 3, ... per account, with no gaps
among committed events).

Subscribe to :class:`Event` to receive everything, or to an intermediate base
such as :class:`LoyaltyEvent` for a family.
"""

from __future__ import annotations

import attrs
import pendulum

from relationkit.domain.interactions import Channel
from relationkit.money import Money

__all__ = [
    "AccountCreated",
    "AccountEvent",
    "ContactAdded",
    "CustomerCreated",
    "CustomerUpdated",
    "Event",
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
    "StageChanged",
    "TierChanged",
]


@attrs.frozen(kw_only=True)
class Event:
    """Base of every event."""

    event_id: str
    occurred_at: pendulum.DateTime
    aggregate_id: str
    sequence: int


@attrs.frozen(kw_only=True)
class AccountEvent(Event):
    """Base of events about accounts and the people in them."""


@attrs.frozen(kw_only=True)
class AccountCreated(AccountEvent):
    """A new account; ``aggregate_id`` is its id."""

    kind: str
    name: str


@attrs.frozen(kw_only=True)
class CustomerCreated(AccountEvent):
    """A new customer in account ``aggregate_id``."""

    customer_id: str
    external_id: str | None = None


@attrs.frozen(kw_only=True)
class ContactAdded(AccountEvent):
    """A customer joined a B2B account as a contact with a role."""

    customer_id: str
    role: str | None = None


@attrs.frozen(kw_only=True)
class CustomerUpdated(AccountEvent):
    """Fields of a customer changed; ``fields`` names them (values are not copied)."""

    customer_id: str
    fields: tuple[str, ...]


@attrs.frozen(kw_only=True)
class StageChanged(AccountEvent):
    """The account moved to another lifecycle stage."""

    from_stage: str | None
    to_stage: str
    reason: str | None = None
    automatic: bool = False


@attrs.frozen(kw_only=True)
class InteractionLogged(AccountEvent):
    """An interaction was logged."""

    interaction_id: str
    customer_id: str | None
    channel: Channel


@attrs.frozen(kw_only=True)
class PurchaseRecorded(AccountEvent):
    """A purchase was recorded for the first time (never on an idempotent replay)."""

    order_id: str
    purchase_id: str
    customer_id: str
    total: Money
    purchased_at: pendulum.DateTime


@attrs.frozen(kw_only=True)
class PurchaseRefunded(AccountEvent):
    """A refund was recorded against a purchase."""

    order_id: str
    refund_id: str
    amount: Money


@attrs.frozen(kw_only=True)
class LoyaltyEvent(AccountEvent):
    """Base of the loyalty ledger's events; ``points`` is always positive."""

    points: int
    entry_id: str


@attrs.frozen(kw_only=True)
class PointsEarned(LoyaltyEvent):
    """Points became spendable at once (no pending period)."""

    reason: str
    source: str | None = None


@attrs.frozen(kw_only=True)
class PointsPending(LoyaltyEvent):
    """Points were awarded but stay locked until ``available_at``."""

    reason: str
    source: str | None = None
    available_at: pendulum.DateTime


@attrs.frozen(kw_only=True)
class PointsActivated(LoyaltyEvent):
    """Pending points became spendable."""

    lot_id: str


@attrs.frozen(kw_only=True)
class PointsRedeemed(LoyaltyEvent):
    """Points were spent."""

    idempotency_key: str | None = None


@attrs.frozen(kw_only=True)
class PointsExpired(LoyaltyEvent):
    """Points of a lot reached their expiry."""

    lot_id: str


@attrs.frozen(kw_only=True)
class PointsReversed(LoyaltyEvent):
    """Points were taken back (refund) or given back (refunded order paid with points).

    ``from_pending`` tells locked points voided inside the return window
    (the balance did not change) from spendable points taken back.
    """

    source: str
    credit: bool = False
    from_pending: bool = False


@attrs.frozen(kw_only=True)
class PointsAdjusted(LoyaltyEvent):
    """A manual correction; ``points`` is its size, ``credit`` its direction."""

    reason: str
    credit: bool


@attrs.frozen(kw_only=True)
class TierChanged(AccountEvent):
    """The account's loyalty tier changed (None: no tier)."""

    old_tier: str | None
    new_tier: str | None

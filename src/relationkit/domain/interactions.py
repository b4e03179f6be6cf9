"""Interactions: every touch point with a customer, on any channel."""

from __future__ import annotations

import enum

import attrs
import pendulum

__all__ = ["Channel", "Direction", "Interaction"]


class Channel(enum.StrEnum):
    """Where an interaction took place."""

    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    CHAT = "chat"
    MEETING = "meeting"
    VIDEO = "video"
    SOCIAL = "social"
    WEB = "web"
    IN_STORE = "in_store"
    MAIL = "mail"
    OTHER = "other"


class Direction(enum.StrEnum):
    """Who started the interaction."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


@attrs.frozen(kw_only=True)
class Interaction:
    """One logged touch point."""

    id: str
    account_id: str
    customer_id: str | None
    channel: Channel
    direction: Direction
    occurred_at: pendulum.DateTime
    subject: str | None = None
    notes: str | None = None
    outcome: str | None = None
    recorded_at: pendulum.DateTime

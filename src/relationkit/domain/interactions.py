"""Interactions: every touch point with a customer, on any channel."""

from __future__ import annotations

import enum

import attrs
import pendulum

__all__ = ["Channel", "Direction", "Interaction"]


class Channel(enum.StrEnum):
    """Where an interaction took place.

    A ``StrEnum``: each member equals its value (``Channel.EMAIL == "email"``),
    and ``kit.interactions.log`` accepts either.

    Attributes:
        EMAIL: ``"email"``: an email, sent or received.
        PHONE: ``"phone"``: a phone call.
        SMS: ``"sms"``: a text message (SMS, or a messaging app such as WhatsApp).
        CHAT: ``"chat"``: a live chat, on the host's site or in its app.
        MEETING: ``"meeting"``: a meeting in person (a visit, a trade fair).
        VIDEO: ``"video"``: a video call.
        SOCIAL: ``"social"``: a social network (a message, a mention, a comment).
        WEB: ``"web"``: something the person did on the host's site or app (a
            form sent, a sign-up, a support request).
        IN_STORE: ``"in_store"``: a visit to a physical shop.
        MAIL: ``"mail"``: a postal letter or parcel insert.
        OTHER: ``"other"``: anything else (say what in ``subject`` or ``notes``).
    """

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
    """Who started the interaction.

    Attributes:
        INBOUND: ``"inbound"``: the customer reached out (a call received, a reply).
        OUTBOUND: ``"outbound"``: the host reached out (a campaign email, a sales call).
        INTERNAL: ``"internal"``: a note kept by the host's team, not seen by the
            customer.
    """

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


@attrs.frozen(kw_only=True)
class Interaction:
    """One logged touch point (see ``kit.interactions.log``).

    Attributes:
        id: the interaction's id.
        account_id: the account it belongs to.
        customer_id: the person involved, or None when it concerns the
            account as a whole.
        channel: where it took place.
        direction: who started it.
        occurred_at: when it happened (UTC; the kit's clock by default).
        subject: a short title (at most 200 characters), or None.
        notes: free text, or None.
        outcome: a short result label (``"resolved"``, ``"no answer"``), or None.
        recorded_at: when relationkit stored it, from the kit's clock.
    """

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

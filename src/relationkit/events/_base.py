"""The bases of every event: :class:`Event` and :class:`AccountEvent`."""

from __future__ import annotations

import attrs
import pendulum

__all__ = ["AccountEvent", "Event"]


@attrs.frozen(kw_only=True)
class Event:
    """Base of every event.

    Attributes:
        event_id: the event's unique id (``evt_...``); a consumer that may
            see an event twice deduplicates on it.
        occurred_at: when relationkit recorded the change, from the kit's
            clock (not the business date: a backfilled 1997 order recorded
            today has today's ``occurred_at``).
        aggregate_id: the id of the account the change belongs to.
        sequence: the event's number among its account's events: 1, 2, 3, ...
            in commit order, with no gaps among committed events.
    """

    event_id: str
    occurred_at: pendulum.DateTime
    aggregate_id: str
    sequence: int


@attrs.frozen(kw_only=True)
class AccountEvent(Event):
    """Base of events about accounts and the people in them.

    It adds no field: ``aggregate_id`` is the account.
    """

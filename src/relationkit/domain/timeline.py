"""A line of an account's timeline (see ``kit.timeline``)."""

from __future__ import annotations

import attrs
import pendulum

__all__ = ["TimelineEntry"]


@attrs.frozen(kw_only=True)
class TimelineEntry:
    """One line of an account's timeline.

    Attributes:
        at: when it happened.
        kind: ``"stage"``, ``"interaction"``, ``"purchase"``, ``"refund"`` or ``"points"``.
        ref: the id of the thing (order id, interaction id, ledger entry id, ...).
        summary: a one-line human description.
        customer_id: the person involved, when known.
        position: the line's place among the lines of its kind at the same
            instant (0 for the first); with ``at`` and ``kind`` it is the
            cursor ``kit.timeline(..., after=line)`` starts after.
    """

    at: pendulum.DateTime
    kind: str
    ref: str
    summary: str
    customer_id: str | None = None
    position: int = 0

    def with_position(self, position: int) -> TimelineEntry:
        """Return this line at another place among its instant's lines of its kind."""
        return attrs.evolve(self, position=position)

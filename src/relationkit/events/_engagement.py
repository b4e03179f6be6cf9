"""Events of where an account stands and how it is reached: stages, interactions, scores."""

from __future__ import annotations

import attrs
import pendulum

from relationkit.domain.interactions import Channel
from relationkit.events._base import AccountEvent

__all__ = ["InteractionLogged", "ScoreChanged", "StageChanged"]


@attrs.frozen(kw_only=True)
class StageChanged(AccountEvent):
    """The account moved to another lifecycle stage.

    Attributes:
        from_stage: the stage it left (None for the account's first stage).
        to_stage: the stage it entered.
        reason: why, as given to ``kit.lifecycle.move`` (``"purchase"`` for
            an automatic move), or None.
        automatic: True when a purchase moved it (the graph's
            ``on_purchase``), False for a move through ``kit.lifecycle.move``.
    """

    from_stage: str | None
    to_stage: str
    reason: str | None = None
    automatic: bool = False


@attrs.frozen(kw_only=True)
class InteractionLogged(AccountEvent):
    """An interaction was logged.

    Attributes:
        interaction_id: the interaction's id.
        customer_id: the person involved, or None for the account as a whole.
        channel: where it took place (:class:`~relationkit.Channel`).
    """

    interaction_id: str
    customer_id: str | None
    channel: Channel


@attrs.frozen(kw_only=True)
class ScoreChanged(AccountEvent):
    """A kept score crossed into another band (``kit.scores.refresh``).

    Emitted in the transaction that stores the new score, once per account
    and kind whose band differs from the band of its current score; a
    refresh that keeps the band emits nothing.

    Attributes:
        kind: ``"lead"``, ``"churn"`` or ``"health"``.
        old_band: the band of the score kept before, or None for the
            account's first score of this kind.
        new_band: the band of the new score.
        old_score: the score kept before, or None for the first.
        new_score: the new score.
        as_of: the instant the new score describes.
    """

    kind: str
    old_band: str | None
    new_band: str
    old_score: int | None
    new_score: int
    as_of: pendulum.DateTime

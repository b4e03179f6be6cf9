"""Kept scores: an account's latest score of each kind, and the snapshots behind it."""

from __future__ import annotations

import enum

import attrs
import pendulum

__all__ = ["KeptScore", "ScoreKind"]


class ScoreKind(enum.StrEnum):
    """The kinds of score relationkit computes and keeps.

    Attributes:
        LEAD: ``"lead"``: the lead score (``kit.scores.lead``), fit and engagement.
        CHURN: ``"churn"``: churn risk (``kit.scores.churn``), 0 to 100.
        HEALTH: ``"health"``: B2B account health (``kit.scores.health``), 0 to 100.
    """

    LEAD = "lead"
    CHURN = "churn"
    HEALTH = "health"


@attrs.frozen(kw_only=True)
class KeptScore:
    """One account's score of one kind, as of one instant.

    The store keeps the latest one per account and kind (the *current*
    score, which segments filter on) and every one ever computed (the
    snapshots, one per ``as_of``).

    Attributes:
        account_id: the account scored.
        kind: lead, churn or health.
        as_of: the instant the score describes (facts after it are ignored).
        score: the score (lead: points; churn risk and health: 0 to 100).
        band: the band the score falls into.
        computed_at: when it was computed (the kit's clock).
    """

    account_id: str
    kind: ScoreKind
    as_of: pendulum.DateTime
    score: int
    band: str
    computed_at: pendulum.DateTime

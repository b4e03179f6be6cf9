"""Churn risk: 0 (safe) to 100 (about to be lost), with the reasons behind it.

Each factor is a risk between 0 and 1 with a weight; the score is the
weighted mean of the factors that apply, times 100, rounded half up:

- ``recency``: days since the last purchase against the account's own usual
  gap (the median of its gaps between purchase days; ``default_gap_days``
  for a one-time buyer): 0 up to one gap, rising linearly to 1 at three gaps.
- ``spend``: net spend in the last ``spend_window_days`` against the window
  before it: ``1 - recent / previous``, clipped to 0..1 (left out when the
  previous window had no spend).
- ``tickets``: unresolved tickets, ``open / ticket_saturation`` clipped to 1.
  It joins only when ticket data exists (the caller passes a count); until
  the store keeps tickets the factor is left out, never counted as zero.
- ``alive``: ``1 - P(alive)`` from a fitted customer-base model (BG/NBD,
  Pareto/NBD), when one is given.

An account with no purchase by ``as_of`` has score 0 and the single reason
``no_purchases``: churn is about customers who bought. Moving an account to
``at_risk`` is the host's choice: set ``at_risk_at``.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pendulum

from relationkit.domain.scoring._checks import check_model_days, check_weight
from relationkit.domain.scoring.bands import Bands
from relationkit.domain.scoring.history import (
    PurchaseDay,
    recency_risk,
    spend_windows,
    usual_gap_days,
)
from relationkit.domain.scoring.lead import round_half_up
from relationkit.errors import ValidationError

__all__ = ["ChurnModel", "ChurnReason", "ChurnRisk", "churn_risk"]

DEFAULT_CHURN_BANDS = Bands.of({"low": 0, "medium": 40, "high": 70})


def _threshold(_instance: object, _attribute: object, value: int | None) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100
    ):
        raise ValidationError("at_risk_at", "must be an int from 0 to 100, or None")


@attrs.frozen(kw_only=True)
class ChurnModel:
    """How churn risk is weighed.

    Attributes:
        recency_weight: the weight of the time since the last purchase
            against the account's usual gap (0 leaves the factor out).
        spend_weight: the weight of falling spend (0 leaves it out).
        tickets_weight: the weight of unresolved tickets, once tickets are
            kept (0 leaves it out).
        alive_weight: the weight of ``1 - P(alive)`` when a fitted model is
            given (0 leaves it out).
        default_gap_days: the usual gap assumed for a one-time buyer.
        spend_window_days: the length of the two spend windows compared.
        ticket_saturation: unresolved tickets that make the factor 1.
        at_risk_at: a score at or above this moves the account to
            ``at_risk`` where the stage graph allows it (None: never).
        alive_unit: the time unit the fitted model counts in
            (``"days"`` or ``"weeks"``).
        currency: the currency whose spend is read (None: the currency of
            the account's latest purchase).
        bands: the score's bands.
    """

    recency_weight: float = attrs.field(default=0.5, validator=check_weight)
    spend_weight: float = attrs.field(default=0.25, validator=check_weight)
    tickets_weight: float = attrs.field(default=0.15, validator=check_weight)
    alive_weight: float = attrs.field(default=0.5, validator=check_weight)
    default_gap_days: int = attrs.field(default=90, validator=check_model_days)
    spend_window_days: int = attrs.field(default=90, validator=check_model_days)
    ticket_saturation: int = attrs.field(default=3, validator=check_model_days)
    at_risk_at: int | None = attrs.field(default=None, validator=_threshold)
    alive_unit: str = attrs.field(default="weeks")
    currency: str | None = None
    bands: Bands = DEFAULT_CHURN_BANDS

    @alive_unit.validator
    def _unit(self, _attribute: object, value: str) -> None:
        if value not in ("days", "weeks"):
            raise ValidationError("alive_unit", "must be 'days' or 'weeks'")


@attrs.frozen(kw_only=True)
class ChurnReason:
    """One factor of a churn risk.

    Attributes:
        factor: ``recency``, ``spend``, ``tickets``, ``alive`` or ``no_purchases``.
        risk: the factor's risk, 0 to 1 (rounded to 0.0001).
        weight: its weight in the mean.
        detail: what was measured, in words.
    """

    factor: str
    risk: float
    weight: float
    detail: str


@attrs.frozen(kw_only=True)
class ChurnRisk:
    """An account's churn risk and why.

    Attributes:
        account_id: the account.
        as_of: the instant assessed.
        score: 0 to 100.
        band: the band of the score.
        reasons: the factors that applied, highest contribution first.
        last_purchase: the day of the last purchase (None: never bought).
        usual_gap_days: the account's median gap (None: fewer than two days).
        moves_to_at_risk: the model's threshold is met.
    """

    account_id: str
    as_of: pendulum.DateTime
    score: int
    band: str
    reasons: tuple[ChurnReason, ...]
    last_purchase: pendulum.Date | None = None
    usual_gap_days: float | None = None
    moves_to_at_risk: bool = False


def churn_risk(
    model: ChurnModel,
    *,
    account_id: str,
    as_of: pendulum.DateTime,
    today: pendulum.Date,
    days: Sequence[PurchaseDay],
    p_alive: float | None = None,
    open_tickets: int | None = None,
) -> ChurnRisk:
    """Return the churn risk of an account.

    Args:
        model: the weights and windows.
        account_id: the account.
        as_of: the instant assessed.
        today: ``as_of``'s calendar day in the kit's time zone.
        days: the account's purchase days up to ``today``.
        p_alive: the fitted model's probability that the account is alive.
        open_tickets: its unresolved tickets (None: no ticket data).
    """
    days = [d for d in days if d.day <= today]
    if not days:
        reason = ChurnReason(
            factor="no_purchases",
            risk=0.0,
            weight=0.0,
            detail="no purchase yet: churn risk does not apply",
        )
        return ChurnRisk(
            account_id=account_id, as_of=as_of, score=0, band=model.bands.band(0), reasons=(reason,)
        )
    last = max(d.day for d in days)
    gap = usual_gap_days(days)
    used_gap = gap if gap is not None else float(model.default_gap_days)
    since = (today - last).in_days()
    reasons = [
        ChurnReason(
            factor="recency",
            risk=round(recency_risk(since, used_gap), 4),
            weight=model.recency_weight,
            detail=f"{since} days since the last purchase; usual gap {used_gap:g} days"
            + ("" if gap is not None else " (one-time buyer: default gap)"),
        )
    ]
    window = model.spend_window_days
    recent, previous = spend_windows(days, today, window)
    if previous > 0:
        drop = min(1.0, max(0.0, 1.0 - recent / previous))
        reasons.append(
            ChurnReason(
                factor="spend",
                risk=round(drop, 4),
                weight=model.spend_weight,
                detail=f"spent {recent} in the last {window} days against {previous} before "
                "(minor units)",
            )
        )
    if open_tickets is not None:
        risk = min(1.0, open_tickets / model.ticket_saturation)
        reasons.append(
            ChurnReason(
                factor="tickets",
                risk=round(risk, 4),
                weight=model.tickets_weight,
                detail=f"{open_tickets} unresolved tickets",
            )
        )
    if p_alive is not None:
        alive = min(1.0, max(0.0, float(p_alive)))
        reasons.append(
            ChurnReason(
                factor="alive",
                risk=round(1.0 - alive, 4),
                weight=model.alive_weight,
                detail=f"probability alive {alive:.3f} (fitted model)",
            )
        )
    weights = sum(r.weight for r in reasons)
    mean = sum(r.weight * r.risk for r in reasons) / weights if weights else 0.0
    score = min(100, max(0, round_half_up(100 * mean)))
    reasons.sort(key=lambda r: (-(r.weight * r.risk), r.factor))
    return ChurnRisk(
        account_id=account_id,
        as_of=as_of,
        score=score,
        band=model.bands.band(score),
        reasons=tuple(reasons),
        last_purchase=last,
        usual_gap_days=gap,
        moves_to_at_risk=model.at_risk_at is not None and score >= model.at_risk_at,
    )

"""B2B account health: 0 (failing) to 100 (thriving), from purchases and people.

Each factor is a value between 0 (bad) and 1 (good) with a weight; the score
is the weighted mean of the factors that apply, times 100, rounded half up:

- ``purchase_recency``: ``1 -`` the churn recency risk (days since the last
  purchase against the account's usual gap; 0 without purchases);
- ``spend_trend``: net spend in the last ``spend_window_days`` over the
  window before, capped at 1 (left out when neither window has spend);
- ``coverage``: the share of the account's contacts active (an interaction
  or a purchase) in the last ``active_days`` (0 without contacts);
- ``roles``: for each key role, the freshness ``0.5 ** (days / half-life)``
  of its most recent touch (0 for a role nobody holds or never touched),
  averaged over the roles (left out when there is no role to look at).
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

__all__ = [
    "AccountHealth",
    "ContactActivity",
    "HealthFactor",
    "HealthModel",
    "RoleRecency",
    "account_health",
]

DEFAULT_HEALTH_BANDS = Bands.of({"poor": 0, "fair": 40, "good": 70})


def _roles(value: Sequence[str]) -> tuple[str, ...]:
    roles = tuple(value)
    if any(not isinstance(r, str) or not 1 <= len(r) <= 255 for r in roles):
        raise ValidationError("roles", "must be role names of 1 to 255 characters")
    return tuple(dict.fromkeys(roles))


@attrs.frozen(kw_only=True)
class HealthModel:
    """How account health is weighed.

    Attributes:
        roles: the roles that matter (None or empty: every role the
            account's contacts hold).
        active_days: a contact touched this recently counts as active.
        role_half_life_days: a role's touch this old counts half.
        spend_window_days: the length of the two spend windows compared.
        default_gap_days: the usual gap assumed for a one-time buyer.
        purchase_weight: the weight of purchase recency.
        trend_weight: the weight of the spend trend.
        coverage_weight: the weight of the share of contacts active.
        roles_weight: the weight of the recency per key role.
        bands: the score's bands.
    """

    roles: tuple[str, ...] = attrs.field(default=(), converter=_roles)
    active_days: int = attrs.field(default=90, validator=check_model_days)
    role_half_life_days: int = attrs.field(default=30, validator=check_model_days)
    spend_window_days: int = attrs.field(default=90, validator=check_model_days)
    default_gap_days: int = attrs.field(default=90, validator=check_model_days)
    purchase_weight: float = attrs.field(default=0.3, validator=check_weight)
    trend_weight: float = attrs.field(default=0.2, validator=check_weight)
    coverage_weight: float = attrs.field(default=0.25, validator=check_weight)
    roles_weight: float = attrs.field(default=0.25, validator=check_weight)
    bands: Bands = DEFAULT_HEALTH_BANDS


@attrs.frozen(kw_only=True)
class ContactActivity:
    """A contact of the account and when it was last touched (by ``as_of``)."""

    customer_id: str
    role: str | None
    last_touch: pendulum.DateTime | None


@attrs.frozen(kw_only=True)
class RoleRecency:
    """A key role's most recent touch.

    Attributes:
        role: the role.
        customer_id: the contact touched last in that role (None: nobody).
        last_touch: when (None: never, or nobody holds the role).
        days_since: days from it to ``as_of`` (None: never).
        freshness: ``0.5 ** (days_since / half-life)``, 0 when never.
    """

    role: str
    customer_id: str | None
    last_touch: pendulum.DateTime | None
    days_since: int | None
    freshness: float


@attrs.frozen(kw_only=True)
class HealthFactor:
    """One factor of an account's health: ``value`` 0 (bad) to 1 (good)."""

    factor: str
    value: float
    weight: float
    detail: str


@attrs.frozen(kw_only=True)
class AccountHealth:
    """An account's health and what it is made of.

    Attributes:
        account_id: the account.
        as_of: the instant assessed.
        score: 0 to 100.
        band: the band of the score.
        factors: the factors that applied.
        roles: the recency of each key role.
        contacts: how many contacts the account has.
        active_contacts: how many were active in the last ``active_days``.
    """

    account_id: str
    as_of: pendulum.DateTime
    score: int
    band: str
    factors: tuple[HealthFactor, ...]
    roles: tuple[RoleRecency, ...]
    contacts: int
    active_contacts: int


def _role_recency(
    model: HealthModel, contacts: Sequence[ContactActivity], as_of: pendulum.DateTime
) -> list[RoleRecency]:
    wanted = model.roles or tuple(dict.fromkeys(sorted(c.role for c in contacts if c.role)))
    found = []
    for role in wanted:
        holders = [c for c in contacts if c.role == role and c.last_touch is not None]
        latest = max(holders, key=lambda c: (c.last_touch, c.customer_id), default=None)
        if latest is None or latest.last_touch is None:
            holder = next((c.customer_id for c in contacts if c.role == role), None)
            found.append(
                RoleRecency(
                    role=role, customer_id=holder, last_touch=None, days_since=None, freshness=0.0
                )
            )
            continue
        days = max(0, (as_of - latest.last_touch).in_days())
        found.append(
            RoleRecency(
                role=role,
                customer_id=latest.customer_id,
                last_touch=latest.last_touch,
                days_since=days,
                freshness=round(0.5 ** (days / model.role_half_life_days), 4),
            )
        )
    return found


def account_health(
    model: HealthModel,
    *,
    account_id: str,
    as_of: pendulum.DateTime,
    today: pendulum.Date,
    days: Sequence[PurchaseDay],
    contacts: Sequence[ContactActivity],
) -> AccountHealth:
    """Return the health of an account.

    Args:
        model: the weights and windows.
        account_id: the account.
        as_of: the instant assessed.
        today: ``as_of``'s calendar day in the kit's time zone.
        days: the account's purchase days up to ``today``.
        contacts: its contacts with their last touch.
    """
    days = [d for d in days if d.day <= today]
    factors: list[HealthFactor] = []
    if days:
        last = max(d.day for d in days)
        gap = usual_gap_days(days) or float(model.default_gap_days)
        since = (today - last).in_days()
        value = 1.0 - recency_risk(since, gap)
        detail = f"{since} days since the last purchase; usual gap {gap:g} days"
    else:
        value, detail = 0.0, "no purchase yet"
    factors.append(
        HealthFactor(
            factor="purchase_recency",
            value=round(value, 4),
            weight=model.purchase_weight,
            detail=detail,
        )
    )
    window = model.spend_window_days
    recent, previous = spend_windows(days, today, window)
    if recent > 0 or previous > 0:
        trend = 1.0 if previous <= 0 else min(1.0, max(0.0, recent / previous))
        factors.append(
            HealthFactor(
                factor="spend_trend",
                value=round(trend, 4),
                weight=model.trend_weight,
                detail=f"spent {recent} in the last {window} days against {previous} before "
                "(minor units)",
            )
        )
    since_active = as_of.subtract(days=model.active_days)
    active = [c for c in contacts if c.last_touch is not None and c.last_touch > since_active]
    coverage = len(active) / len(contacts) if contacts else 0.0
    factors.append(
        HealthFactor(
            factor="coverage",
            value=round(coverage, 4),
            weight=model.coverage_weight,
            detail=f"{len(active)} of {len(contacts)} contacts active in the last "
            f"{model.active_days} days",
        )
    )
    roles = _role_recency(model, contacts, as_of)
    if roles:
        mean = sum(r.freshness for r in roles) / len(roles)
        missing = [r.role for r in roles if r.last_touch is None]
        detail = f"{len(roles)} key roles" + (
            f"; never touched: {', '.join(missing)}" if missing else ""
        )
        factors.append(
            HealthFactor(
                factor="roles", value=round(mean, 4), weight=model.roles_weight, detail=detail
            )
        )
    weights = sum(f.weight for f in factors)
    mean_value = sum(f.weight * f.value for f in factors) / weights if weights else 0.0
    score = min(100, max(0, round_half_up(100 * mean_value)))
    return AccountHealth(
        account_id=account_id,
        as_of=as_of,
        score=score,
        band=model.bands.band(score),
        factors=tuple(factors),
        roles=tuple(roles),
        contacts=len(contacts),
        active_contacts=len(active),
    )

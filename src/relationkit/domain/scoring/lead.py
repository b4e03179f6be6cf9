"""Scoring a lead: every rule's points, decayed, grouped under caps, with the breakdown.

:func:`score_lead` is pure: the service hands it the account, its people,
the facts the engagement rules read and the instant to score at.

- A fit rule gives its points once when its expression holds for the
  account or for one of its people (``attributes.<key>`` reads that
  person's attributes).
- An engagement rule gives ``points * 0.5 ** (age_days / half_life_days)``
  for each matching fact at or before ``as_of`` and within the lookback
  (only the ``max_count`` most recent ones when set).
- A group's total is the sum of its rules' lines, capped at the group's cap
  (a rule with no group is its own group); the score is the sum of the
  group totals, rounded half up to an int.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import attrs
import pendulum

from relationkit import _validate as v
from relationkit.domain.customers import Account, Customer
from relationkit.domain.fields import MISSING, Lookup
from relationkit.domain.lifecycle import StageGraph
from relationkit.domain.scoring.rules import EngagementRule, FitRule, LeadModel, Touch

__all__ = [
    "GroupTotal",
    "LeadScore",
    "ScoreLine",
    "days_before",
    "lookup_for",
    "round_half_up",
    "score_lead",
    "suggest_stage",
]

_ACCOUNT_FIELDS = ("id", "name", "kind", "stage", "tier", "created_at", "stage_since")
_PERSON_FIELDS = ("email", "role", "external_id")


@attrs.frozen(kw_only=True)
class ScoreLine:
    """What one rule gave for one fact (or once, for a fit rule).

    Attributes:
        rule: the rule's name.
        group: the group it counts in.
        base: the rule's points.
        points: what it gave after decay (rounded to 0.01).
        at: when the fact happened (None for a fit rule).
        ref: the fact (interaction id, order id, ``stage:<n>``) or, for a fit
            rule, the customer id that matched (None: the account itself).
    """

    rule: str
    group: str
    base: int
    points: float
    at: pendulum.DateTime | None = None
    ref: str | None = None


@attrs.frozen(kw_only=True)
class GroupTotal:
    """A group's lines summed, and what its cap let through."""

    group: str
    raw: float
    cap: int | None
    total: float


@attrs.frozen(kw_only=True)
class LeadScore:
    """An account's lead score with its breakdown.

    Attributes:
        account_id: the account.
        as_of: the instant scored.
        score: the sum of the group totals, rounded half up.
        band: the band of the score.
        lines: every contribution, fit rules first, then newest facts first.
        groups: each group's raw sum, cap and total, by group name.
        suggested_stage: the stage a threshold moves the account to (None:
            no threshold applies).
    """

    account_id: str
    as_of: pendulum.DateTime
    score: int
    band: str
    lines: tuple[ScoreLine, ...]
    groups: tuple[GroupTotal, ...]
    suggested_stage: str | None = None

    def by_rule(self) -> dict[str, float]:
        """Return the points each rule gave (before caps), by rule name."""
        totals: dict[str, float] = defaultdict(float)
        for line in self.lines:
            totals[line.rule] += line.points
        return {k: round(v, 2) for k, v in totals.items()}


def days_before(as_of: pendulum.DateTime, days: int) -> pendulum.DateTime:
    """Return ``as_of`` less ``days`` days, or the earliest instant accepted if that is earlier."""
    if (as_of - v.MIN_INSTANT).days <= days:
        return v.MIN_INSTANT
    return as_of.subtract(days=days)


def round_half_up(value: float) -> int:
    """Return ``value`` rounded to the nearest int, halves away from zero."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def lookup_for(account: Account, person: Customer | None) -> Lookup:
    """Return a field lookup over an account and, optionally, one of its people.

    ``attributes.<key>`` reads the person's attribute, else the account's.
    """

    def lookup(name: str) -> Any:
        if name in _ACCOUNT_FIELDS:
            value = getattr(account, name)
            return value.value if name == "kind" else value
        family, _, key = name.partition(".")
        if family == "attributes":
            # A person's attribute first, then the account's own.
            if person is not None and key in person.attributes:
                return person.attributes[key]
            own: dict[str, Any] = getattr(account, "attributes", {})
            return own.get(key, MISSING)
        if person is not None and name in _PERSON_FIELDS:
            return getattr(person, name)
        return MISSING

    return lookup


def _fit_lines(rule: FitRule, account: Account, people: Sequence[Customer]) -> list[ScoreLine]:
    group = rule.group or rule.name
    for person in people:
        if rule.when.matches(lookup_for(account, person)):
            return [
                ScoreLine(
                    rule=rule.name,
                    group=group,
                    base=rule.points,
                    points=float(rule.points),
                    ref=person.id,
                )
            ]
    if not people and rule.when.matches(lookup_for(account, None)):
        return [ScoreLine(rule=rule.name, group=group, base=rule.points, points=float(rule.points))]
    return []


def _engagement_lines(
    rule: EngagementRule, model: LeadModel, touches: Sequence[Touch], as_of: pendulum.DateTime
) -> list[ScoreLine]:
    since = days_before(as_of, rule.within_days or model.lookback_days)
    matched = sorted(
        (t for t in touches if since < t.at <= as_of and rule.accepts(t)),
        key=lambda t: (t.at, t.ref),
        reverse=True,
    )
    if rule.max_count is not None:
        matched = matched[: rule.max_count]
    half_life = rule.half_life_days or model.half_life_days
    lines = []
    for touch in matched:
        weight = 1.0
        if half_life is not None:
            age_days = (as_of - touch.at).total_seconds() / 86400.0
            weight = 0.5 ** (age_days / half_life)
        lines.append(
            ScoreLine(
                rule=rule.name,
                group=rule.group or rule.name,
                base=rule.points,
                points=round(rule.points * weight, 2),
                at=touch.at,
                ref=touch.ref,
            )
        )
    return lines


def suggest_stage(model: LeadModel, score: int, stage: str, graph: StageGraph) -> str | None:
    """Return the stage the highest threshold met moves an account in ``stage`` to."""
    for threshold in sorted(model.thresholds, key=lambda t: t.at_least, reverse=True):
        if (
            score >= threshold.at_least
            and stage in threshold.from_stages
            and threshold.to_stage != stage
            and graph.allows(stage, threshold.to_stage)
        ):
            return threshold.to_stage
    return None


def score_lead(
    model: LeadModel,
    *,
    account: Account,
    people: Sequence[Customer],
    touches: Sequence[Touch],
    as_of: pendulum.DateTime,
    graph: StageGraph | None = None,
) -> LeadScore:
    """Return the lead score of ``account`` at ``as_of`` with its breakdown.

    Args:
        model: the rules.
        account: the account scored.
        people: its customers (fit rules read their fields and attributes).
        touches: the facts engagement rules may count (later ones are ignored).
        as_of: the instant to score at.
        graph: the stage graph, for ``suggested_stage`` (None: no suggestion).
    """
    lines: list[ScoreLine] = []
    for fit in model.fit:
        lines += _fit_lines(fit, account, people)
    for rule in model.engagement:
        lines += _engagement_lines(rule, model, touches, as_of)
    raw: dict[str, float] = {}
    for line in lines:
        raw[line.group] = raw.get(line.group, 0.0) + line.points
    groups = []
    for group, value in raw.items():
        cap = model.caps.get(group)
        total = value if cap is None else min(float(cap), value)
        groups.append(GroupTotal(group=group, raw=round(value, 2), cap=cap, total=round(total, 2)))
    score = round_half_up(sum(g.total for g in groups))
    suggested = None if graph is None else suggest_stage(model, score, account.stage, graph)
    return LeadScore(
        account_id=account.id,
        as_of=as_of,
        score=score,
        band=model.bands.band(score),
        lines=tuple(lines),
        groups=tuple(groups),
        suggested_stage=suggested,
    )

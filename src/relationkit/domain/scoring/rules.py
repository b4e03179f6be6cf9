"""Lead-scoring rules: fit rules on who the account is, engagement rules on what it did.

A :class:`LeadModel` holds the rules, the caps of their groups, the decay
half-life, the bands and the stage thresholds. Everything is validated when
the model is built: a bad model raises
:class:`~relationkit.errors.ValidationError` before anything is scored.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pendulum

from relationkit.domain.fields import Expr
from relationkit.domain.interactions import Channel, Direction
from relationkit.domain.scoring._checks import (
    MAX_LOOKBACK_DAYS,
    check_at_least,
    check_channel,
    check_direction,
    check_entered_stage,
    check_group,
    check_lookback_days,
    check_max_count,
    check_member,
    check_money,
    check_name,
    check_no_unknown,
    check_outcome,
    check_points,
    check_positive_days,
    check_stages,
    check_to_stage,
    check_within_days,
)
from relationkit.domain.scoring.bands import Bands
from relationkit.errors import ValidationError
from relationkit.money import Money

__all__ = [
    "MAX_LOOKBACK_DAYS",
    "EngagementRule",
    "FitRule",
    "LeadModel",
    "Source",
    "StageThreshold",
    "Touch",
]


class Source(enum.StrEnum):
    """Where an engagement rule looks: interactions, purchases or lifecycle events."""

    INTERACTION = "interaction"
    PURCHASE = "purchase"
    STAGE = "stage"


@attrs.frozen(kw_only=True)
class Touch:
    """One fact an engagement rule may count (built by the service from the store).

    Attributes:
        source: interaction, purchase or stage change.
        ref: the interaction id, order id, or ``stage:<n>`` of the fact.
        at: when it happened.
        channel: an interaction's channel.
        direction: an interaction's direction.
        outcome: an interaction's outcome.
        to_stage: a stage change's new stage.
        total: a purchase's net value at ``as_of``: its total less the
            refunds made by then (a purchase refunded in full is no fact).
    """

    source: Source
    ref: str
    at: pendulum.DateTime
    channel: Channel | None = None
    direction: Direction | None = None
    outcome: str | None = None
    to_stage: str | None = None
    total: Money | None = None


def _when(_instance: object, _attribute: object, value: Any) -> None:
    if not isinstance(value, Expr):
        raise ValidationError("when", "must be a field expression such as F('stage') == 'lead'")


@attrs.frozen(kw_only=True)
class FitRule:
    """Points for who the account is: ``when`` holds for the account or one of its people.

    Args:
        name: the rule's name (unique in a model), shown in breakdowns.
        when: a field expression, e.g. ``F("attributes.industry") == "retail"``.
        points: what the rule gives (negative takes points away).
        group: the group whose cap applies (None: the rule is its own group).
    """

    name: str = attrs.field(converter=check_name)
    when: Expr = attrs.field(validator=_when)
    points: int = attrs.field(converter=check_points)
    group: str | None = attrs.field(default=None, converter=check_group)


def _source(value: object) -> Source:
    return check_member(Source, "source", value)


@attrs.frozen(kw_only=True)
class EngagementRule:
    """Points for each matching fact, decayed by its age.

    Build one with :meth:`interaction`, :meth:`purchase` or :meth:`stage`.

    Attributes:
        name: the rule's name (unique in a model).
        source: which facts it looks at.
        points: what one fresh fact gives.
        group: the group whose cap applies (None: its own group).
        channel: an interaction must be on this channel (None: any).
        direction: an interaction must go this way (None: any).
        outcome: an interaction must have this outcome (None: any).
        to_stage: a stage change must enter this stage (None: any).
        min_total: a purchase's net value must be at least this (None: any).
        half_life_days: the decay of this rule (None: the model's).
        within_days: only facts this recent count, in whole days (None: the
            model's lookback, which it must not exceed).
        max_count: only the most recent this many facts count (None: all).

    Raises:
        ValidationError: an unknown channel, direction or source, an option
            the builders do not know, or a bad number.
    """

    name: str = attrs.field(converter=check_name)
    source: Source = attrs.field(converter=_source)
    points: int = attrs.field(converter=check_points)
    group: str | None = attrs.field(default=None, converter=check_group)
    channel: Channel | None = attrs.field(default=None, converter=check_channel)
    direction: Direction | None = attrs.field(default=None, converter=check_direction)
    outcome: str | None = attrs.field(default=None, converter=check_outcome)
    to_stage: str | None = attrs.field(default=None, converter=check_entered_stage)
    min_total: Money | None = attrs.field(default=None, converter=check_money)
    half_life_days: float | None = None
    within_days: int | None = attrs.field(default=None, converter=check_within_days)
    max_count: int | None = attrs.field(default=None, converter=check_max_count)

    def __attrs_post_init__(self) -> None:
        check_positive_days("half_life_days", self.half_life_days)

    @classmethod
    def interaction(
        cls,
        name: str,
        points: int,
        *,
        channel: Channel | str | None = None,
        direction: Direction | str | None = None,
        outcome: str | None = None,
        group: str | None = None,
        half_life_days: float | None = None,
        within_days: int | None = None,
        max_count: int | None = None,
        **unknown: object,
    ) -> EngagementRule:
        """Return a rule counting interactions (of a channel, direction, outcome).

        Raises:
            ValidationError: a bad value, or an option not listed here (a
                misspelt ``within_days``, say).
        """
        return cls._built(
            Source.INTERACTION,
            unknown,
            name=name,
            points=points,
            channel=channel,
            direction=direction,
            outcome=outcome,
            group=group,
            half_life_days=half_life_days,
            within_days=within_days,
            max_count=max_count,
        )

    @classmethod
    def purchase(
        cls,
        name: str,
        points: int,
        *,
        min_total: Money | None = None,
        group: str | None = None,
        half_life_days: float | None = None,
        within_days: int | None = None,
        max_count: int | None = None,
        **unknown: object,
    ) -> EngagementRule:
        """Return a rule counting purchases (of a net value of at least ``min_total``).

        Raises:
            ValidationError: a bad value, or an option not listed here.
        """
        return cls._built(
            Source.PURCHASE,
            unknown,
            name=name,
            points=points,
            min_total=min_total,
            group=group,
            half_life_days=half_life_days,
            within_days=within_days,
            max_count=max_count,
        )

    @classmethod
    def stage(
        cls,
        name: str,
        points: int,
        *,
        to_stage: str | None = None,
        group: str | None = None,
        half_life_days: float | None = None,
        within_days: int | None = None,
        max_count: int | None = None,
        **unknown: object,
    ) -> EngagementRule:
        """Return a rule counting lifecycle events (stage changes into ``to_stage``).

        Raises:
            ValidationError: a bad value, or an option not listed here.
        """
        return cls._built(
            Source.STAGE,
            unknown,
            name=name,
            points=points,
            to_stage=to_stage,
            group=group,
            half_life_days=half_life_days,
            within_days=within_days,
            max_count=max_count,
        )

    @classmethod
    def _built(cls, source: Source, unknown: Mapping[str, object], **fields: Any) -> EngagementRule:
        """Return a rule on ``source`` from a builder's options, refusing any it does not know."""
        check_no_unknown(unknown)
        return cls(source=source, **fields)

    def accepts(self, touch: Touch) -> bool:
        """Return whether ``touch`` is a fact this rule counts (age aside)."""
        if touch.source is not self.source:
            return False
        if self.source is Source.INTERACTION:
            return (
                (self.channel is None or touch.channel is self.channel)
                and (self.direction is None or touch.direction is self.direction)
                and (self.outcome is None or touch.outcome == self.outcome)
            )
        if self.source is Source.PURCHASE:
            if self.min_total is None:
                return True
            total = touch.total
            return (
                total is not None
                and total.currency == self.min_total.currency
                and total.minor >= self.min_total.minor
            )
        return self.to_stage is None or touch.to_stage == self.to_stage


@attrs.frozen(kw_only=True)
class StageThreshold:
    """Move an account to ``to_stage`` once its lead score reaches ``at_least``.

    Only accounts in one of ``from_stages`` move, and only where the stage
    graph allows the move.

    Attributes:
        at_least: the lead score at which the account moves (an int).
        to_stage: the stage it moves to (``"qualified"``, say).
        from_stages: the stages it may move from: a list or tuple of names
            (one string is refused, rather than read as its letters).

    Raises:
        ValidationError: ``at_least`` not an int, or bad stage names.
    """

    at_least: int = attrs.field(converter=check_at_least)
    to_stage: str = attrs.field(converter=check_to_stage)
    from_stages: tuple[str, ...] = attrs.field(
        default=("subscriber", "lead"), converter=check_stages
    )


Rule = FitRule | EngagementRule

DEFAULT_LEAD_BANDS = Bands.of({"cold": 0, "warm": 30, "hot": 60})


def _rules(value: Sequence[Rule]) -> tuple[Rule, ...]:
    rules = tuple(value)
    for rule in rules:
        if not isinstance(rule, FitRule | EngagementRule):
            raise ValidationError("rules", "must be FitRule or EngagementRule objects")
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ValidationError("rules", "must not repeat a rule name")
    return rules


def _thresholds(value: Sequence[StageThreshold]) -> tuple[StageThreshold, ...]:
    return tuple(value)


def _caps(value: Mapping[str, int]) -> dict[str, int]:
    caps = dict(value)
    for group, cap in caps.items():
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise ValidationError("caps", f"the cap of {group!r} must be a non-negative int")
    return caps


@attrs.frozen(kw_only=True)
class LeadModel:
    """A lead-scoring model.

    Args:
        rules: fit and engagement rules (names unique).
        caps: the most a group may give, by group name (every group named
            must be used by a rule).
        half_life_days: engagement decay: a fact this old counts half
            (None: no decay).
        lookback_days: engagement facts older than this are not read: an
            int from 1 to :data:`MAX_LOOKBACK_DAYS`, at least every rule's
            ``within_days``.
        thresholds: stage moves the score triggers (highest met first).
        bands: the score's bands.

    Raises:
        ValidationError: a bad rule list, cap, number or threshold, or a
            rule whose ``within_days`` exceeds ``lookback_days`` (its facts
            would not be read).
    """

    rules: tuple[Rule, ...] = attrs.field(converter=_rules)
    caps: dict[str, int] = attrs.field(factory=dict, converter=_caps)
    half_life_days: float | None = 30.0
    lookback_days: int = attrs.field(default=365, converter=check_lookback_days)
    thresholds: tuple[StageThreshold, ...] = attrs.field(default=(), converter=_thresholds)
    bands: Bands = DEFAULT_LEAD_BANDS

    def __attrs_post_init__(self) -> None:
        check_positive_days("half_life_days", self.half_life_days)
        for rule in self.engagement:
            if rule.within_days is not None and rule.within_days > self.lookback_days:
                raise ValidationError(
                    "within_days",
                    f"rule {rule.name!r} looks back {rule.within_days} days, more than the "
                    f"model's lookback_days ({self.lookback_days}): raise lookback_days",
                )
        used = {r.group or r.name for r in self.rules}
        unknown = sorted(set(self.caps) - used)
        if unknown:
            raise ValidationError("caps", f"names groups no rule uses: {', '.join(unknown)}")
        for threshold in self.thresholds:
            if not isinstance(threshold, StageThreshold):
                raise ValidationError("thresholds", "must be StageThreshold objects")

    @property
    def engagement(self) -> tuple[EngagementRule, ...]:
        """The engagement rules."""
        return tuple(r for r in self.rules if isinstance(r, EngagementRule))

    @property
    def fit(self) -> tuple[FitRule, ...]:
        """The fit rules."""
        return tuple(r for r in self.rules if isinstance(r, FitRule))

    def sources(self) -> frozenset[Source]:
        """Return the sources the engagement rules read (the service loads only those)."""
        return frozenset(r.source for r in self.engagement)

"""Lifecycle stages: a graph of allowed moves along the customer journey."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs
import pendulum

from relationkit.errors import ValidationError

__all__ = ["DEFAULT_STAGE_GRAPH", "StageChange", "StageGraph", "StageSpan"]


@attrs.frozen(kw_only=True)
class StageChange:
    """One move of an account from one stage to another.

    ``from_stage`` is None for the account's first stage.

    Attributes:
        account_id: the account that moved.
        from_stage: the stage it left (None for its first stage).
        to_stage: the stage it entered.
        at: when it entered ``to_stage`` (UTC); never before the previous
            change, so the history reads in order.
        reason: why, as given to ``kit.lifecycle.move`` (``"purchase"`` for
            an automatic move), or None.
        automatic: True when a purchase moved the account, False for a
            move through ``kit.lifecycle.move``.
    """

    account_id: str
    from_stage: str | None
    to_stage: str
    at: pendulum.DateTime
    reason: str | None = None
    automatic: bool = False


@attrs.frozen(kw_only=True)
class StageSpan:
    """A stretch of time an account spent in one stage (``left`` None: still there).

    Attributes:
        stage: the stage.
        entered: when the account entered it.
        left: when it left, or None while it is still there.
        duration: ``left - entered``, or up to the kit's clock for the open span.
    """

    stage: str
    entered: pendulum.DateTime
    left: pendulum.DateTime | None
    duration: pendulum.Duration


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _str_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _pairs(value: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    return frozenset((src, dst) for src, dst in value)


def _check_graph(instance: StageGraph, _attribute: object, _value: object) -> None:
    known = set(instance.stages)
    if len(known) != len(instance.stages):
        raise ValidationError("stages", "must not repeat a stage")
    if instance.initial not in known:
        raise ValidationError("initial", "must be one of the stages")
    for src, dst in instance.transitions:
        if src not in known or dst not in known:
            raise ValidationError("transitions", f"names an unknown stage in {src}->{dst}")
    if instance.on_purchase is not None and instance.on_purchase not in known:
        raise ValidationError("on_purchase", "must be one of the stages")
    if not set(instance.reactivate_from) <= known:
        raise ValidationError("reactivate_from", "must name known stages")


@attrs.frozen(kw_only=True)
class StageGraph:
    """The stages an account can be in and the manual moves allowed between them.

    Args:
        stages: every stage, in journey order (earlier first); the order
            decides which automatic moves count as forward.
        transitions: the allowed manual moves, as (from, to) pairs.
        initial: the stage of a new account.
        on_purchase: the stage a purchase moves an account to when it is
            earlier in the journey (None: purchases move nothing).
        reactivate_from: stages from which a purchase brings an account back
            to ``on_purchase`` (the way back from at-risk or churned).
    """

    stages: tuple[str, ...] = attrs.field(converter=_str_tuple)
    transitions: frozenset[tuple[str, str]] = attrs.field(converter=_pairs)
    initial: str
    on_purchase: str | None = None
    reactivate_from: frozenset[str] = attrs.field(
        converter=_str_set, factory=frozenset, validator=_check_graph
    )

    @classmethod
    def build(
        cls,
        stages: Iterable[str],
        moves: Mapping[str, Iterable[str]],
        *,
        initial: str,
        on_purchase: str | None = None,
        reactivate_from: Iterable[str] = (),
    ) -> StageGraph:
        """Build a graph from ``{stage: [stages it may move to]}``."""
        return cls(
            stages=tuple(stages),
            transitions=frozenset((src, dst) for src, dsts in moves.items() for dst in dsts),
            initial=initial,
            on_purchase=on_purchase,
            reactivate_from=frozenset(reactivate_from),
        )

    def rank(self, stage: str) -> int:
        """Return the position of ``stage`` in journey order."""
        return self.stages.index(stage)

    def allows(self, from_stage: str, to_stage: str) -> bool:
        """Return whether a manual move is allowed."""
        return (from_stage, to_stage) in self.transitions

    def next_stages(self, stage: str) -> list[str]:
        """Return the stages reachable from ``stage`` in one manual move."""
        return [dst for dst in self.stages if (stage, dst) in self.transitions]

    def after_purchase(self, stage: str) -> str | None:
        """Return the stage a purchase moves an account in ``stage`` to, or None.

        Automatic moves only go forward: an account already at or past
        ``on_purchase`` (loyal, advocate) stays where it is, except from the
        ``reactivate_from`` stages, which a purchase brings back.
        """
        target = self.on_purchase
        if target is None or stage == target:
            return None
        if stage in self.reactivate_from or stage not in self.stages:
            # A stage the graph no longer has: the purchase brings it back in.
            return target
        if self.rank(stage) < self.rank(target):
            return target
        return None


DEFAULT_STAGE_GRAPH = StageGraph.build(
    (
        "subscriber",
        "lead",
        "qualified",
        "opportunity",
        "customer",
        "loyal",
        "advocate",
        "at_risk",
        "churned",
    ),
    {
        "subscriber": ["lead", "qualified", "customer", "churned"],
        "lead": ["qualified", "opportunity", "customer", "churned", "subscriber"],
        "qualified": ["opportunity", "customer", "lead", "churned"],
        "opportunity": ["customer", "qualified", "lead", "churned"],
        "customer": ["loyal", "advocate", "at_risk", "churned"],
        "loyal": ["advocate", "customer", "at_risk", "churned"],
        "advocate": ["loyal", "customer", "at_risk", "churned"],
        "at_risk": ["customer", "loyal", "advocate", "churned"],
        "churned": ["lead", "customer"],
    },
    initial="lead",
    on_purchase="customer",
    reactivate_from=("at_risk", "churned"),
)
"""The default journey: subscriber → lead → qualified → opportunity → customer →
loyal → advocate, with at_risk and churned off the path and a way back."""

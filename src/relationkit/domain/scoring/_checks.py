"""Checks of the values scoring rules and models are built from (each raises ValidationError)."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from typing import TypeVar

import attrs

from relationkit.domain.interactions import Channel, Direction
from relationkit.errors import ValidationError
from relationkit.money import Money

__all__ = [
    "MAX_LOOKBACK_DAYS",
    "MAX_RULE_POINTS",
    "OPTIONS",
    "check_at_least",
    "check_channel",
    "check_direction",
    "check_entered_stage",
    "check_group",
    "check_lookback_days",
    "check_max_count",
    "check_member",
    "check_model_days",
    "check_money",
    "check_name",
    "check_no_unknown",
    "check_optional_text",
    "check_outcome",
    "check_points",
    "check_positive_days",
    "check_stages",
    "check_to_stage",
    "check_weight",
    "check_whole_days",
    "check_within_days",
]

E = TypeVar("E", bound=enum.StrEnum)

MAX_RULE_POINTS = 10_000
"""The most (and, negated, the least) one rule may give."""

MAX_LOOKBACK_DAYS = 36_525
"""The longest ``lookback_days`` (and ``within_days``): a hundred years."""

OPTIONS = ("group", "half_life_days", "within_days", "max_count")
"""The options every engagement rule builder takes."""


def check_points(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("points", "must be an int")
    if abs(value) > MAX_RULE_POINTS:
        raise ValidationError("points", f"must be within ±{MAX_RULE_POINTS}")
    return value


def check_name(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise ValidationError("name", "must be 1 to 64 characters")
    return value


def check_group(value: object) -> str | None:
    return None if value is None else check_name(value)


def check_positive_days(field: str, value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(field, "must be a number of days")
    if value <= 0:
        raise ValidationError(field, "must be positive")


def check_whole_days(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "must be a whole number of days (an int)")
    if not 1 <= value <= MAX_LOOKBACK_DAYS:
        raise ValidationError(field, f"must be between 1 and {MAX_LOOKBACK_DAYS:_} days")
    return value


def check_within_days(value: object) -> int | None:
    return None if value is None else check_whole_days("within_days", value)


def check_lookback_days(value: object) -> int:
    return check_whole_days("lookback_days", value)


def check_member(kind: type[E], field: str, value: object) -> E:
    try:
        return kind(value if isinstance(value, str) else "")
    except ValueError:
        known = ", ".join(m.value for m in kind)
        raise ValidationError(field, f"must be one of {known}") from None


def check_channel(value: object) -> Channel | None:
    return None if value is None else check_member(Channel, "channel", value)


def check_direction(value: object) -> Direction | None:
    return None if value is None else check_member(Direction, "direction", value)


def check_optional_text(field: str, value: object) -> str | None:
    if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= 64):
        raise ValidationError(field, "must be 1 to 64 characters")
    return value


def check_outcome(value: object) -> str | None:
    return check_optional_text("outcome", value)


def check_entered_stage(value: object) -> str | None:
    return check_optional_text("to_stage", value)


def check_money(value: object) -> Money | None:
    if value is not None and not isinstance(value, Money):
        raise ValidationError("min_total", "must be a Money")
    return value


def check_max_count(value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValidationError("max_count", "must be a positive int")
    return value


def check_no_unknown(unknown: Mapping[str, object]) -> None:
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationError(name, f"is not an option (options: {', '.join(OPTIONS)})")


def check_weight(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    """Refuse a model weight that is not a number from 0 to 100 (an attrs validator)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ValidationError(attribute.name, "must be a number from 0 to 100")


def check_model_days(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    """Refuse a model's count of days that is not an int from 1 to 36500 (an attrs validator)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 36_500:
        raise ValidationError(attribute.name, "must be an int from 1 to 36500")


def check_stages(value: Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ValidationError("from_stages", "must be a list of stages, not one string")
    try:
        stages = tuple(value)
    except TypeError:
        raise ValidationError("from_stages", "must be a list of stages") from None
    if not stages:
        raise ValidationError("from_stages", "must name at least one stage")
    for stage in stages:
        if not isinstance(stage, str) or not stage:
            raise ValidationError("from_stages", "must hold stage names (strings)")
    return stages


def check_at_least(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("at_least", "must be an int")
    return value


def check_to_stage(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError("to_stage", "must be a stage name")
    return value

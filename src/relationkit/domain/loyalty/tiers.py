"""Loyalty tiers: the Tier value and the tier qualification and downgrade policies."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

import attrs

from relationkit import _validate as v
from relationkit.domain.loyalty.limits import _decimal
from relationkit.errors import ValidationError

TierBasis = Literal["points_earned", "spend"]
DowngradePolicy = Literal["immediate", "never"]


def _multiplier(value: object) -> Decimal:
    return _decimal(value, "multiplier")


@attrs.frozen
class Tier:
    """A loyalty tier.

    Args:
        name: the tier's name (``"gold"``).
        threshold: what qualifies: points earned, or whole currency units
            spent, over the program's rolling window (see ``tier_basis``).
        multiplier: earning multiplier for accounts in this tier.
    """

    name: str
    threshold: int
    multiplier: Decimal = attrs.field(default=Decimal(1), converter=_multiplier)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > 64:
            raise ValidationError(
                "tier.name", "must be a non-empty string of at most 64 characters"
            )
        # Accounts store their tier's name.
        v.text(self.name, "tier.name", max_length=64)
        if (
            isinstance(self.threshold, bool)
            or not isinstance(self.threshold, int)
            or self.threshold < 0
        ):
            raise ValidationError("tier.threshold", "must be a non-negative integer")


def _tiers(value: Sequence[Tier]) -> tuple[Tier, ...]:
    tiers = tuple(value)
    if not all(isinstance(t, Tier) for t in tiers):
        raise ValidationError("tiers", "must be Tier objects")
    ordered = tuple(sorted(tiers, key=lambda t: t.threshold))
    if len({t.name for t in ordered}) != len(ordered):
        raise ValidationError("tiers", "names must be unique")
    if len({t.threshold for t in ordered}) != len(ordered):
        raise ValidationError("tiers", "thresholds must be unique")
    return ordered

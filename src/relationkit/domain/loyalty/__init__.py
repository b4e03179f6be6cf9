"""Loyalty program configuration: earning rules, pending period, expiry, tiers.

Pure values, validated at construction. The simple case is one line::

    LoyaltyProgram(points_per_unit=1, currency="EUR")

earns one point per whole euro, rounded down, with nothing pending, no expiry
and no tiers.

Every figure is bounded so that the instants and points it produces stay
representable on every backend: points per operation up to
:data:`MAX_POINTS`, expiry up to a century (:data:`MAX_EXPIRY_DAYS`,
:data:`MAX_EXPIRY_MONTHS`, :data:`MAX_EXPIRY_YEARS`), a pending period up to
:data:`MAX_PENDING_DAYS` and a tier window up to :data:`MAX_TIER_WINDOW_DAYS`.
"""

from __future__ import annotations

from relationkit.domain.loyalty.currencies import CurrencyRule, EarningOutcome
from relationkit.domain.loyalty.expiry import Expiry
from relationkit.domain.loyalty.limits import (
    MAX_EXPIRY_DAYS,
    MAX_EXPIRY_MONTHS,
    MAX_EXPIRY_YEARS,
    MAX_PENDING_DAYS,
    MAX_POINTS,
    MAX_TIER_WINDOW_DAYS,
)
from relationkit.domain.loyalty.program import LoyaltyProgram, NegativeBalancePolicy
from relationkit.domain.loyalty.tiers import DowngradePolicy, Tier, TierBasis

__all__ = [
    "MAX_EXPIRY_DAYS",
    "MAX_EXPIRY_MONTHS",
    "MAX_EXPIRY_YEARS",
    "MAX_PENDING_DAYS",
    "MAX_POINTS",
    "MAX_TIER_WINDOW_DAYS",
    "CurrencyRule",
    "DowngradePolicy",
    "EarningOutcome",
    "Expiry",
    "LoyaltyProgram",
    "NegativeBalancePolicy",
    "Tier",
    "TierBasis",
]

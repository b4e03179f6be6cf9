"""Loyalty tests: the failures loyalty systems are known for, through the kit.

Every test drives ``rk.open(storage=..., clock=..., loyalty=...)`` over a
fresh store and ends with ``kit.loyalty.verify()`` reporting no broken
invariant. One module per failure guarded against:

- points kept after a refund, spent points taken twice
  (:mod:`~relationkit.testing.loyalty.refunds`);
- balances that collapse when expiry is not tied to its lot
  (:mod:`~relationkit.testing.loyalty.expiry`), pending points
  (:mod:`~relationkit.testing.loyalty.pending`);
- tiers computed on the balance (:mod:`~relationkit.testing.loyalty.tiers`);
- double awards on retries, overspending
  (:mod:`~relationkit.testing.loyalty.idempotency`);
- expiry off by a day across time zones
  (:mod:`~relationkit.testing.loyalty.timezones`);
- earning rules, referrals, points used to pay
  (:mod:`~relationkit.testing.loyalty.earning`);
- orders in other currencies, their rates and bonuses
  (:mod:`~relationkit.testing.loyalty.currencies`);
- derived balances that drift from the ledger
  (:mod:`~relationkit.testing.loyalty.state`).

The ledger's events are in :mod:`relationkit.testing.behaviour.events`;
input validation is relationkit's own unit tests.

Added in 0.2.0.
"""

from __future__ import annotations

from relationkit.testing.loyalty.currencies import CurrencyLoyalty, CurrencyPropertyLoyalty
from relationkit.testing.loyalty.earning import (
    EarningRuleLoyalty,
    PointsUsedLoyalty,
    ReferralLoyalty,
)
from relationkit.testing.loyalty.expiry import ExpiryLoyalty
from relationkit.testing.loyalty.idempotency import (
    IdempotencyLoyalty,
    NestedLoyalty,
    OverspendLoyalty,
)
from relationkit.testing.loyalty.pending import PendingLoyalty
from relationkit.testing.loyalty.refunds import RefundLoyalty, SpentPointsLoyalty
from relationkit.testing.loyalty.state import StateLoyalty
from relationkit.testing.loyalty.tiers import TierLoyalty
from relationkit.testing.loyalty.timezones import TimeZoneLoyalty

__all__ = [
    "CurrencyLoyalty",
    "CurrencyPropertyLoyalty",
    "EarningRuleLoyalty",
    "ExpiryLoyalty",
    "IdempotencyLoyalty",
    "LoyaltySuite",
    "NestedLoyalty",
    "OverspendLoyalty",
    "PendingLoyalty",
    "PointsUsedLoyalty",
    "ReferralLoyalty",
    "RefundLoyalty",
    "SpentPointsLoyalty",
    "StateLoyalty",
    "TierLoyalty",
    "TimeZoneLoyalty",
]


class LoyaltySuite(
    RefundLoyalty,
    SpentPointsLoyalty,
    ExpiryLoyalty,
    PendingLoyalty,
    TierLoyalty,
    IdempotencyLoyalty,
    NestedLoyalty,
    OverspendLoyalty,
    TimeZoneLoyalty,
    EarningRuleLoyalty,
    ReferralLoyalty,
    PointsUsedLoyalty,
    StateLoyalty,
    CurrencyLoyalty,
    CurrencyPropertyLoyalty,
):
    """Every loyalty test: subclass it with a ``Test`` name to run this level alone."""

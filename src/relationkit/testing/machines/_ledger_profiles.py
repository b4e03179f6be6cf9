"""The programs the ledger machine runs, in the model's own terms (not public).

:class:`ModelProfile` and :data:`PROFILES` are public through
:mod:`~relationkit.testing.machines.ledger_model` and
:mod:`~relationkit.testing.machines.ledger`.
"""

from __future__ import annotations

from typing import Literal

import attrs

import relationkit as rk

__all__ = ["PROFILES", "ExpiryRule", "ModelProfile"]

ExpiryRule = tuple[Literal["never", "after_days", "end_of_month", "end_of_year"], int]


@attrs.frozen(kw_only=True)
class ModelProfile:
    """A program the machine runs, described in the model's own terms.

    Attributes:
        name: shown in Hypothesis' output.
        first_purchase_bonus: extra points on an account's first purchase.
        pending_days: the return window (0: points are spendable at once).
        expiry: ``(kind, count)`` as in :class:`relationkit.Expiry`.
        timezone: the zone expiry boundaries are computed in.
        negative_balance: ``"debt"`` or ``"write_off"``.
    """

    name: str
    first_purchase_bonus: int = 0
    pending_days: int = 0
    expiry: ExpiryRule = ("never", 0)
    timezone: str = "UTC"
    negative_balance: Literal["debt", "write_off"] = "debt"

    def program(self) -> rk.LoyaltyProgram:
        """Return the engine's program for this profile (one point per whole euro)."""
        kind, count = self.expiry
        if kind == "after_days":
            expiry = rk.Expiry.after_days(count)
        elif kind == "end_of_month":
            expiry = rk.Expiry.end_of_month(count)
        elif kind == "end_of_year":
            expiry = rk.Expiry.end_of_year(count)
        else:
            expiry = rk.Expiry.never()
        return rk.LoyaltyProgram(
            currency="EUR",
            points_per_unit=1,
            first_purchase_bonus=self.first_purchase_bonus,
            pending_days=self.pending_days,
            expiry=expiry,
            timezone=self.timezone,
            negative_balance=self.negative_balance,
        )

    def __str__(self) -> str:
        return self.name


PROFILES: tuple[ModelProfile, ...] = (
    ModelProfile(
        name="pending+expiry",
        first_purchase_bonus=10,
        pending_days=14,
        expiry=("after_days", 30),
        timezone="Europe/Paris",
    ),
    ModelProfile(name="plain"),
    ModelProfile(
        name="write_off+end_of_month",
        expiry=("end_of_month", 1),
        timezone="America/Los_Angeles",
        negative_balance="write_off",
    ),
)
"""The programs the machine picks from: pending points with expiry, the plain
one-line program, and expiry at month ends under the write-off policy."""

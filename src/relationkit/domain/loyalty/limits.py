"""The bounds every loyalty figure is checked against, and the number checks that use them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from relationkit import _validate as v
from relationkit.errors import ValidationError

MAX_POINTS = v.MAX_COUNT
"""The most points one operation may credit or debit (10**12).

It bounds ``earn``, ``redeem``, ``points_used``, the bonuses, the cap and the
points one order earns, so balances stay far inside the signed 64-bit range.
"""
MAX_EXPIRY_DAYS = 36_525
"""The longest :meth:`Expiry.after_days` (a century)."""
MAX_EXPIRY_MONTHS = 1_200
"""The largest ``months`` of :meth:`Expiry.end_of_month` (a century)."""
MAX_EXPIRY_YEARS = 100
"""The largest ``years`` of :meth:`Expiry.end_of_year`."""
MAX_PENDING_DAYS = 365
"""The longest return window, ``pending_days``: a year.

Points earned at the last supported instant then still unlock before the
end of year 9999.
"""
MAX_TIER_WINDOW_DAYS = 36_525
"""The longest ``tier_window_days`` (a century)."""


def _decimal(value: object, field: str) -> Decimal:
    if isinstance(value, bool | float):
        raise ValidationError(field, "must be an int, a Decimal or a numeric string, not a float")
    try:
        number = Decimal(value) if isinstance(value, int | str) else value
    except ArithmeticError:
        raise ValidationError(field, "is not a number") from None
    if not isinstance(number, Decimal) or not number.is_finite() or number < 0:
        raise ValidationError(field, "must be a finite, non-negative number")
    if number > MAX_POINTS:
        raise ValidationError(field, f"must be at most {MAX_POINTS:_}")
    return number


def _non_negative_int(
    field: str, maximum: int = MAX_POINTS
) -> Callable[[object, object, int], None]:
    def check(_instance: object, _attribute: object, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(field, "must be a non-negative integer")
        if value > maximum:
            raise ValidationError(field, f"must be at most {maximum:_}")

    return check

"""Money: an exact amount in one ISO 4217 currency, never rounded silently."""

from __future__ import annotations

import difflib
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from relationkit._currencies import MINOR_UNITS
from relationkit.errors import ValidationError

__all__ = ["MAX_MINOR", "Money"]

MAX_MINOR = 10**17 - 1
"""The largest amount relationkit stores, in minor units either way.

That is 17 digits: 999,999,999,999,999.99 in a two-decimal currency such as
EUR. A :class:`Money` itself is exact at any size, so a host can add up or
compare larger amounts; purchase totals, line prices, refunds and minimum
orders are checked against this bound when they enter relationkit, so that
they fit the signed 64-bit integers the SQL backends store, with room for
sums of dozens of them.
"""


def _currency(code: object) -> str:
    """Return ``code`` as an upper-case active ISO 4217 code (``"eur"`` is ``"EUR"``).

    Payment providers send lower-case codes (Stripe's ``"eur"``); surrounding
    spaces and letter case are normalised, anything else is refused with a
    hint: the close known codes, or what a currency code looks like.
    """
    if isinstance(code, str):
        if code in MINOR_UNITS:
            return code
        normal = code.strip().upper()
        if normal in MINOR_UNITS:
            return normal
        raise ValidationError("currency", f"must be an active ISO 4217 code{_hint(normal)}")
    raise ValidationError("currency", "must be an active ISO 4217 code such as 'EUR' (a str)")


def _hint(normal: str) -> str:
    """Return the hint of an unknown currency code: close codes, or an example."""
    if len(normal) <= 8 and normal.isascii() and normal.isalpha():
        close = difflib.get_close_matches(normal, MINOR_UNITS, n=3, cutoff=0.6)
        if close:
            listed = ", ".join(repr(c) for c in close)
            return f"; {normal!r} is not one (did you mean {listed}?)"
        return f"; {normal!r} is not one (three letters, such as 'EUR' or 'USD')"
    return " of three letters, such as 'EUR' or 'USD'"


def _amount(value: object, currency: str) -> Decimal:
    if isinstance(value, bool | float):
        raise ValidationError("amount", "must be a Decimal, str or int, not a float")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValidationError("amount", "is not a decimal number") from None
    else:
        raise ValidationError("amount", "must be a Decimal, str or int")
    if not number.is_finite():
        raise ValidationError("amount", "must be finite")
    digits = MINOR_UNITS[currency]
    quantum = Decimal(1).scaleb(-digits)
    try:
        exact = number.quantize(quantum)
    except InvalidOperation:
        raise ValidationError("amount", "is too large") from None
    if exact != number:
        raise ValidationError(
            "amount", f"has more decimals than {currency} allows ({digits}); round it first"
        )
    return exact


@attrs.frozen(init=False, repr=False)
class Money:
    """An amount of one currency, held exactly at the currency's minor unit.

    ``Money("59.9", "EUR") == Money("59.90", "EUR")``. Floats, NaN,
    infinities, unknown currency codes and amounts finer than the currency's
    minor unit raise :class:`~relationkit.errors.ValidationError`. Amounts
    beyond :data:`MAX_MINOR` minor units are exact values too, but a
    purchase, refund or program refuses them.

    Args:
        amount: a ``Decimal``, a numeric string or an ``int``.
        currency: an active ISO 4217 code, in any letter case (``"eur"``
            is stored and shown as ``"EUR"``).
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | str | int, currency: str) -> None:
        code = _currency(currency)
        self.__attrs_init__(amount=_amount(amount, code), currency=code)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """Build from an integer count of minor units (cents for EUR)."""
        code = _currency(currency)
        return cls(Decimal(minor).scaleb(-MINOR_UNITS[code]), code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return zero in ``currency``."""
        return cls(0, currency)

    @property
    def minor(self) -> int:
        """The amount as an integer count of minor units."""
        return int(self.amount.scaleb(MINOR_UNITS[self.currency]))

    @property
    def digits(self) -> int:
        """The number of decimals of this currency."""
        return MINOR_UNITS[self.currency]

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValidationError(
                "currency", f"cannot combine {self.currency} with {other.currency}"
            )

    def __add__(self, other: Any) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money.from_minor(self.minor + other.minor, self.currency)

    def __sub__(self, other: Any) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money.from_minor(self.minor - other.minor, self.currency)

    def __mul__(self, factor: Any) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return Money.from_minor(self.minor * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money.from_minor(-self.minor, self.currency)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor >= other.minor

    def __bool__(self) -> bool:
        return self.minor != 0

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

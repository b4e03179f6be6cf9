"""Orders in other currencies: what a program does with them, and what an order earned.

A :class:`~relationkit.LoyaltyProgram` earns in its ``currency``. Its
``other_currencies`` rule says what an order in any other currency does:

- :meth:`CurrencyRule.earn_nothing` (the default): the order earns no
  points and no bonus, and the outcome is recorded on the order
  (``kit.loyalty.earning(order_id)``); a first order that earns nothing
  leaves the first-purchase and referral bonuses to the first order that
  does earn;
- :meth:`CurrencyRule.rates`: a fixed rate per currency; a currency not
  listed earns nothing;
- :meth:`CurrencyRule.host_rates`: the host's function gives the rate of
  each order, asked once, when the order's points are earned.

A rate is how many units of the program's currency one unit of the order's
currency is worth (``{"USD": Decimal("0.92")}``: 1 USD earns as 0.92 EUR).
It is an exact decimal: never a float, positive, at most
:data:`~relationkit.domain.loyalty.MAX_POINTS` and at most
:data:`MAX_RATE_DECIMALS` decimals. The order's charged amount is
multiplied by the rate without rounding; the points are then rounded down,
exactly as for an order in the program's currency. The rate used is fixed
at purchase: it is stored with the order's ledger entries (``rate``,
``source_currency``) and with the order's earning outcome, so a refund takes
back the order's own points in proportion to the refunded amount in the
order's currency, and tiers on spend count the order at that rate, whatever
the rates are later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Literal

import attrs
import pendulum

from relationkit.domain.loyalty.limits import MAX_POINTS
from relationkit.errors import ValidationError
from relationkit.money import _currency

__all__ = ["MAX_RATE_DECIMALS", "CurrencyRule", "EarningOutcome", "HostRates", "check_rate"]

MAX_RATE_DECIMALS = 12
"""The most decimals a rate may have (``Decimal("0.000000000001")``)."""

HostRates = Callable[[str, str, pendulum.DateTime], "Decimal | int | str | None"]
"""The host's rate function: ``(order currency, program currency, order date) -> rate``.

It returns the rate (a ``Decimal``, an ``int`` or a numeric string), or None
when the order's currency has no rate: the order then earns nothing, recorded.
"""

RuleKind = Literal["earn_nothing", "rates", "host_rates"]


def check_rate(value: object, field: str = "rate") -> Decimal:
    """Return ``value`` as an exact, positive rate.

    Args:
        value: a ``Decimal``, an ``int`` or a numeric string.
        field: the name the error gives (``"rates['USD']"``).

    Returns:
        The rate as a ``Decimal``.

    Raises:
        ValidationError: for a float, a bool, NaN, an infinity, zero, a
            negative number, more than :data:`MAX_RATE_DECIMALS` decimals or
            more than :data:`~relationkit.domain.loyalty.MAX_POINTS`.
    """
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise ValidationError(field, "must be a Decimal, an int or a numeric string, not a float")
    try:
        number = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, ValueError):
        raise ValidationError(field, "is not a number") from None
    if not number.is_finite() or number <= 0:
        raise ValidationError(field, "must be a finite, positive number")
    if number > MAX_POINTS:
        raise ValidationError(field, f"must be at most {MAX_POINTS:_}")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_RATE_DECIMALS:
        # Trailing zeros are no precision: "0.920000000000000" is 0.92.
        short = number.quantize(Decimal(1).scaleb(-MAX_RATE_DECIMALS))
        if short != number:
            raise ValidationError(field, f"must have at most {MAX_RATE_DECIMALS} decimals")
        return short
    return number


def _rate_table(value: Mapping[str, object] | None) -> dict[str, Decimal]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError("rates", "must be a mapping of currency code to rate")
    table: dict[str, Decimal] = {}
    for code, rate in value.items():
        normal = _currency(code)
        if normal in table:
            raise ValidationError("rates", f"names {normal} twice")
        table[normal] = check_rate(rate, f"rates[{normal!r}]")
    return table


@attrs.frozen(kw_only=True)
class CurrencyRule:
    """What a program does with an order in a currency other than its own.

    Build one with :meth:`earn_nothing`, :meth:`rates` or :meth:`host_rates`.

    Attributes:
        kind: ``"earn_nothing"``, ``"rates"`` or ``"host_rates"``.
        table: for ``"rates"``, the rate of each currency (upper-case codes).
        source: for ``"host_rates"``, the host's rate function.
    """

    kind: RuleKind = "earn_nothing"
    table: dict[str, Decimal] = attrs.field(factory=dict, converter=_rate_table)
    source: HostRates | None = attrs.field(default=None, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.kind not in ("earn_nothing", "rates", "host_rates"):
            raise ValidationError(
                "other_currencies", "must be 'earn_nothing', 'rates' or 'host_rates'"
            )
        if self.kind == "host_rates" and not callable(self.source):
            raise ValidationError("rates", "must be a function (currency, program currency, at)")
        if self.kind != "host_rates" and self.source is not None:
            raise ValidationError("rates", "a host function belongs to CurrencyRule.host_rates")
        if self.kind != "rates" and self.table:
            raise ValidationError("rates", "a rate table belongs to CurrencyRule.rates")

    @classmethod
    def earn_nothing(cls) -> CurrencyRule:
        """Orders in other currencies earn nothing; the outcome is recorded on each."""
        return cls(kind="earn_nothing")

    @classmethod
    def rates(cls, table: Mapping[str, Decimal | int | str]) -> CurrencyRule:
        """Earn through a fixed rate per currency; a currency not listed earns nothing.

        Args:
            table: currency code -> units of the program's currency one unit
                of it is worth (``{"USD": Decimal("0.92")}``).

        Raises:
            ValidationError: on ``rates`` for an unknown code or a code named
                twice, on ``rates['USD']`` for a bad rate (see :func:`check_rate`).
        """
        return cls(kind="rates", table=dict(table))

    @classmethod
    def host_rates(cls, source: HostRates) -> CurrencyRule:
        """Earn through the rates the host supplies, asked once per order.

        Args:
            source: called as ``source(order_currency, program_currency,
                occurred_at)`` inside the transaction that records the order;
                returns the rate, or None (the order earns nothing, recorded).
                A bad rate raises :class:`~relationkit.errors.ValidationError`
                on ``rate`` and nothing of the order is written.
        """
        return cls(kind="host_rates", source=source)

    def rate_for(
        self, currency: str, program_currency: str, at: pendulum.DateTime
    ) -> Decimal | None:
        """Return the rate an order in ``currency`` earns at, or None if it earns nothing.

        ``Decimal(1)`` for the program's own currency.

        Raises:
            ValidationError: on ``rate`` when the host's function returns a bad rate.
        """
        if currency == program_currency:
            return Decimal(1)
        if self.kind == "rates":
            return self.table.get(currency)
        if self.kind == "host_rates":
            assert self.source is not None
            found = self.source(currency, program_currency, at)
            return None if found is None else check_rate(found)
        return None

    def check(self, program_currency: str) -> None:
        """Refuse a table that names the program's own currency.

        Raises:
            ValidationError: on ``other_currencies``.
        """
        if program_currency in self.table:
            raise ValidationError(
                "other_currencies", f"names the program's own currency {program_currency}"
            )


@attrs.frozen(kw_only=True)
class EarningOutcome:
    """What one order earned under the program, as ``kit.loyalty.earning`` reads it.

    Attributes:
        order_id: the order.
        account_id: the account whose ledger holds the order's points (the
            account it was recorded in, even after its buyer moved).
        currency: the order's currency.
        program_currency: the program's currency when the order was earned
            on (None: no program was in force).
        earns: whether the order earns under the currency rule (its
            currency is the program's, or it had a rate).
        rate: the rate the order earned at (``Decimal(1)`` in the program's
            currency), fixed at purchase; None when it earns nothing.
        points: the points the order earned on its buyer's account (its
            first-purchase bonus included, pending or not), before refunds.
        reason: why it earns nothing: ``"no_rate"`` (another currency
            without a rate) or ``"no_program"``; None when it earns.
    """

    order_id: str
    account_id: str
    currency: str
    program_currency: str | None
    earns: bool
    rate: Decimal | None
    points: int
    reason: str | None = None

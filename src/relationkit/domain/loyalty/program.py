"""The loyalty program: earning rules, pending period, expiry, tiers and their checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

import attrs
import pendulum

from relationkit import _validate as v
from relationkit._currencies import MINOR_UNITS
from relationkit.domain.loyalty.currencies import CurrencyRule
from relationkit.domain.loyalty.expiry import Expiry
from relationkit.domain.loyalty.limits import (
    MAX_PENDING_DAYS,
    MAX_POINTS,
    MAX_TIER_WINDOW_DAYS,
    _decimal,
    _non_negative_int,
)
from relationkit.domain.loyalty.tiers import DowngradePolicy, Tier, TierBasis, _tiers
from relationkit.errors import ValidationError
from relationkit.money import Money

NegativeBalancePolicy = Literal["debt", "write_off"]
CheckoutShortfallPolicy = Literal["error", "debt"]


def _check_checkout(program: LoyaltyProgram) -> None:
    """Validate ``checkout_shortfall``, ``point_value`` and ``earn_on_points``."""
    if program.checkout_shortfall not in ("error", "debt"):
        raise ValidationError("checkout_shortfall", "must be 'error' or 'debt'")
    if not isinstance(program.earn_on_points, bool):
        raise ValidationError("earn_on_points", "must be True or False")
    value = program.point_value
    if value is not None and (
        not isinstance(value, Money) or value.currency != program.currency or value.minor <= 0
    ):
        raise ValidationError("point_value", f"must be a positive Money in {program.currency}")
    if program.earn_on_points and value is None:
        raise ValidationError("point_value", "is required when earn_on_points is True")


def _points_per_unit(value: object) -> Decimal:
    return _decimal(value, "points_per_unit")


def _multipliers(value: Mapping[str, object], field: str) -> dict[str, Decimal]:
    if not isinstance(value, Mapping):
        raise ValidationError(field, "must be a mapping of name to multiplier")
    return {str(k): _decimal(v, f"{field}[{k!r}]") for k, v in value.items()}


def _sku_multipliers(value: Mapping[str, object]) -> dict[str, Decimal]:
    return _multipliers(value, "sku_multipliers")


def _category_multipliers(value: Mapping[str, object]) -> dict[str, Decimal]:
    return _multipliers(value, "category_multipliers")


@attrs.frozen(kw_only=True)
class LoyaltyProgram:
    """A points program.

    Orders in other currencies follow ``other_currencies``::

        LoyaltyProgram(
            currency="EUR",
            other_currencies=CurrencyRule.rates({"USD": Decimal("0.92")}),
        )

    earns on a 100.00 USD order as on 92.00 EUR (points rounded down after
    the conversion); the rate is stored with the order's entries, so its
    refunds take back exactly what it earned. By default
    (:meth:`CurrencyRule.earn_nothing`) such an order earns nothing, and
    ``kit.loyalty.earning(order_id)`` says so; bonuses follow the same
    rule: the first-purchase, referral and referred bonuses go to the
    account's first order that earns, and tiers on spend count an order at
    the rate it earned at (see :mod:`relationkit.domain.loyalty.currencies`).

    Args:
        currency: the program's currency: what points are counted in.
        other_currencies: what an order in another currency earns
            (:class:`CurrencyRule`; default: nothing, recorded).
        points_per_unit: points per whole unit of ``currency`` charged
            (rounded down per order).
        sku_multipliers: earning multiplier per SKU (``{"TSHIRT": 2}``).
        category_multipliers: earning multiplier per line category; a SKU
            multiplier wins over its category's.
        first_purchase_bonus: extra points on an account's first purchase.
        referral_bonus: points for the referrer when the referred account
            makes its first purchase.
        referred_bonus: points for the referred account on that purchase.
        minimum_order: orders below this total earn nothing.
        max_points_per_order: cap on the points one order earns (bonuses
            included). Without it, an order earning more than
            :data:`MAX_POINTS` is refused.
        pending_days: points stay locked this many days after the purchase
            (the return window) before they can be spent; at most
            :data:`MAX_PENDING_DAYS`.
        expiry: when earned points expire (:class:`Expiry`).
        timezone: the IANA zone in which expiry dates are counted (None:
            the kit's ``timezone``).
        tiers: the tiers, qualified on ``tier_basis`` over ``tier_window_days``.
        tier_basis: ``"points_earned"`` (points earned, net of reversals) or
            ``"spend"`` (net spend in whole units). Never the balance.
        tier_window_days: the rolling qualification window, in days (at most
            :data:`MAX_TIER_WINDOW_DAYS`).
        downgrade: ``"immediate"`` (a tier is lost as soon as the account no
            longer qualifies) or ``"never"`` (tiers only go up).
        negative_balance: what happens when a refund takes back points that
            were already spent: ``"debt"`` (the balance goes negative and
            later earnings pay it back) or ``"write_off"`` (the shortfall is
            forgiven, with an explicit adjust entry in the ledger).
        checkout_shortfall: what happens when an order paid with points
            (``points_used``, a captured hold) finds them gone: ``"error"``
            (``InsufficientPoints``, nothing is written) or ``"debt"`` (the
            order is recorded, the missing points become debt, written off
            under ``negative_balance="write_off"``).
        point_value: what one point pays for, in ``currency`` (needed by
            ``earn_on_points``).
        earn_on_points: whether the part of an order paid with points
            earns too (``points_used * point_value`` on top of the
            total charged); False by default.
    """

    currency: str = attrs.field()
    other_currencies: CurrencyRule = attrs.field(factory=CurrencyRule.earn_nothing)
    points_per_unit: Decimal = attrs.field(default=Decimal(1), converter=_points_per_unit)
    sku_multipliers: dict[str, Decimal] = attrs.field(
        factory=dict,
        converter=_sku_multipliers,
    )
    category_multipliers: dict[str, Decimal] = attrs.field(
        factory=dict,
        converter=_category_multipliers,
    )
    first_purchase_bonus: int = attrs.field(
        default=0, validator=_non_negative_int("first_purchase_bonus")
    )
    referral_bonus: int = attrs.field(default=0, validator=_non_negative_int("referral_bonus"))
    referred_bonus: int = attrs.field(default=0, validator=_non_negative_int("referred_bonus"))
    minimum_order: Money | None = None
    max_points_per_order: int | None = None
    pending_days: int = attrs.field(
        default=0, validator=_non_negative_int("pending_days", MAX_PENDING_DAYS)
    )
    expiry: Expiry = attrs.field(factory=Expiry.never)
    timezone: str | None = None
    tiers: tuple[Tier, ...] = attrs.field(default=(), converter=_tiers)
    tier_basis: TierBasis = "points_earned"
    tier_window_days: int = 365
    downgrade: DowngradePolicy = "immediate"
    negative_balance: NegativeBalancePolicy = "debt"
    checkout_shortfall: CheckoutShortfallPolicy = "error"
    point_value: Money | None = None
    earn_on_points: bool = False

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.currency, str) or self.currency not in MINOR_UNITS:
            raise ValidationError("currency", "must be an active ISO 4217 code such as 'EUR'")
        if not isinstance(self.other_currencies, CurrencyRule):
            raise ValidationError(
                "other_currencies", "must be a CurrencyRule (CurrencyRule.rates({...}), ...)"
            )
        self.other_currencies.check(self.currency)
        if self.minimum_order is not None:
            if (
                not isinstance(self.minimum_order, Money)
                or self.minimum_order.currency != self.currency
            ):
                raise ValidationError("minimum_order", f"must be a Money in {self.currency}")
            v.money(self.minimum_order, "minimum_order")
        if self.max_points_per_order is not None:
            if (
                isinstance(self.max_points_per_order, bool)
                or not isinstance(self.max_points_per_order, int)
                or self.max_points_per_order < 0
            ):
                raise ValidationError(
                    "max_points_per_order", "must be a non-negative integer or None"
                )
            if self.max_points_per_order > MAX_POINTS:
                raise ValidationError("max_points_per_order", f"must be at most {MAX_POINTS:_}")
        if not isinstance(self.expiry, Expiry):
            raise ValidationError("expiry", "must be an Expiry (Expiry.after_days(365), ...)")
        if self.timezone is not None:
            try:
                pendulum.timezone(self.timezone)
            except Exception:
                raise ValidationError("timezone", "must be an IANA time zone name") from None
        if self.tier_basis not in ("points_earned", "spend"):
            raise ValidationError("tier_basis", "must be 'points_earned' or 'spend'")
        if (
            isinstance(self.tier_window_days, bool)
            or not isinstance(self.tier_window_days, int)
            or self.tier_window_days < 1
        ):
            raise ValidationError("tier_window_days", "must be a positive integer")
        if self.tier_window_days > MAX_TIER_WINDOW_DAYS:
            raise ValidationError(
                "tier_window_days", f"must be at most {MAX_TIER_WINDOW_DAYS:_} days"
            )
        if self.downgrade not in ("immediate", "never"):
            raise ValidationError("downgrade", "must be 'immediate' or 'never'")
        if self.negative_balance not in ("debt", "write_off"):
            raise ValidationError("negative_balance", "must be 'debt' or 'write_off'")
        _check_checkout(self)

    # -- rules ---------------------------------------------------------------

    def multiplier_for(self, sku: str, category: str | None) -> Decimal:
        """Return the earning multiplier of a line."""
        if sku in self.sku_multipliers:
            return self.sku_multipliers[sku]
        if category is not None and category in self.category_multipliers:
            return self.category_multipliers[category]
        return Decimal(1)

    def tier_named(self, name: str | None) -> Tier | None:
        """Return the tier called ``name``, or None."""
        return next((t for t in self.tiers if t.name == name), None)

    def qualified_tier(self, measure: int) -> Tier | None:
        """Return the highest tier whose threshold ``measure`` reaches."""
        reached = [t for t in self.tiers if measure >= t.threshold]
        return reached[-1] if reached else None

    def rate_for(self, total: Money, at: pendulum.DateTime) -> Decimal | None:
        """Return the rate an order of ``total`` placed at ``at`` earns at (None: nothing).

        ``Decimal(1)`` in the program's currency; otherwise what
        ``other_currencies`` gives.

        Raises:
            ValidationError: on ``rate`` when the host's rate function returns a bad rate.
        """
        return self.other_currencies.rate_for(total.currency, self.currency, at)

    def qualifies(self, total: Money, rate: Decimal | None = None) -> bool:
        """Return whether an order of ``total`` earns at all (currency, minimum).

        ``rate`` converts an order in another currency (see :meth:`rate_for`);
        without it, only the program's currency earns.
        """
        if total.currency != self.currency:
            if rate is None:
                return False
            return self.minimum_order is None or total.amount * rate >= self.minimum_order.amount
        return self.minimum_order is None or total >= self.minimum_order

    def base_points(
        self,
        total: Money,
        lines: Sequence[tuple[str, str | None, Money]],
        tier: Tier | None,
        rate: Decimal | None = None,
    ) -> int:
        """Return the points an order earns before bonuses (rounded down, capped).

        Each line's multiplier applies to its share of what was charged, so
        shipping, tax and discounts are spread over the lines in proportion.
        An order in another currency earns on its total times ``rate``,
        unrounded; the points are rounded down once, at the end.
        """
        if not self.qualifies(total, rate):
            return 0
        charged = total.amount if total.currency == self.currency else total.amount * (rate or 0)
        line_sum = sum((price.amount for _, _, price in lines), Decimal(0))
        if lines and line_sum > 0:
            weighted = sum(
                (price.amount * self.multiplier_for(sku, cat) for sku, cat, price in lines),
                Decimal(0),
            )
            base = charged * weighted / line_sum
        else:
            base = charged
        factor = self.points_per_unit * (tier.multiplier if tier is not None else Decimal(1))
        return int((base * factor).to_integral_value(rounding=ROUND_FLOOR))

    def points_paid_earning(self, points_used: int, tier: Tier | None) -> int:
        """Return what the part of an order paid with ``points_used`` earns (0 by default)."""
        if not self.earn_on_points or self.point_value is None or not points_used:
            return 0
        paid = self.point_value.amount * points_used
        factor = self.points_per_unit * (tier.multiplier if tier is not None else Decimal(1))
        return int((paid * factor).to_integral_value(rounding=ROUND_FLOOR))

    def cap(self, points: int) -> int:
        """Apply ``max_points_per_order``.

        Raises:
            ValidationError: on ``"total"`` if the order would still earn more
                than :data:`MAX_POINTS` (no cap, or a cap above it).
        """
        if self.max_points_per_order is not None:
            points = min(points, self.max_points_per_order)
        if points > MAX_POINTS:
            raise ValidationError(
                "total", f"would earn more than {MAX_POINTS:_} points; set max_points_per_order"
            )
        return points

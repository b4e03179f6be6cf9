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

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

import attrs
import pendulum

from relationkit import _validate as v
from relationkit._currencies import MINOR_UNITS
from relationkit.errors import ValidationError
from relationkit.money import Money

__all__ = [
    "MAX_EXPIRY_DAYS",
    "MAX_EXPIRY_MONTHS",
    "MAX_EXPIRY_YEARS",
    "MAX_PENDING_DAYS",
    "MAX_POINTS",
    "MAX_TIER_WINDOW_DAYS",
    "DowngradePolicy",
    "Expiry",
    "LoyaltyProgram",
    "NegativeBalancePolicy",
    "Tier",
    "TierBasis",
]

TierBasis = Literal["points_earned", "spend"]
DowngradePolicy = Literal["immediate", "never"]
NegativeBalancePolicy = Literal["debt", "write_off"]
ExpiryKind = Literal["never", "after_days", "end_of_month", "end_of_year"]

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

_EXPIRY_LIMITS = {
    "never": 0,
    "after_days": MAX_EXPIRY_DAYS,
    "end_of_month": MAX_EXPIRY_MONTHS,
    "end_of_year": MAX_EXPIRY_YEARS,
}


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


def _multiplier(value: object) -> Decimal:
    return _decimal(value, "multiplier")


def _points_per_unit(value: object) -> Decimal:
    return _decimal(value, "points_per_unit")


@attrs.frozen
class Expiry:
    """When earned points expire, computed in the program's time zone.

    Build it with :meth:`never`, :meth:`after_days`, :meth:`end_of_month` or
    :meth:`end_of_year`. A lot expires at the first instant of the day after
    its last valid local day, so "365 days" never loses a day to a UTC offset.
    Counts reach at most a century (:data:`MAX_EXPIRY_DAYS` days,
    :data:`MAX_EXPIRY_MONTHS` months or :data:`MAX_EXPIRY_YEARS` years).
    """

    kind: ExpiryKind = "never"
    count: int = 0

    def __attrs_post_init__(self) -> None:
        if self.kind not in ("never", "after_days", "end_of_month", "end_of_year"):
            raise ValidationError(
                "expiry", "kind must be never, after_days, end_of_month or end_of_year"
            )
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise ValidationError("expiry", "count must be a non-negative integer")
        if self.kind == "after_days" and self.count < 1:
            raise ValidationError("expiry", "after_days needs at least one day")
        limit = _EXPIRY_LIMITS[self.kind]
        if self.kind != "never" and self.count > limit:
            raise ValidationError("expiry", f"{self.kind} allows at most {limit:_}")

    @classmethod
    def never(cls) -> Expiry:
        """Points never expire."""
        return cls("never", 0)

    @classmethod
    def after_days(cls, days: int) -> Expiry:
        """Points earned on local day D expire after the end of local day D + ``days``."""
        return cls("after_days", days)

    @classmethod
    def end_of_month(cls, months: int = 0) -> Expiry:
        """Points expire after the last local day of the month, ``months`` after earning."""
        return cls("end_of_month", months)

    @classmethod
    def end_of_year(cls, years: int = 0) -> Expiry:
        """Points expire after December 31 (local), ``years`` after the year of earning."""
        return cls("end_of_year", years)

    def expires_at(
        self, earned_at: pendulum.DateTime, timezone: str, *, field: str = "occurred_at"
    ) -> pendulum.DateTime | None:
        """Return the UTC instant from which points earned at ``earned_at`` are expired.

        Args:
            earned_at: when the points were earned (aware).
            timezone: the IANA zone whose local days are counted.
            field: the input ``earned_at`` came from, named by the error.

        Raises:
            ValidationError: naming ``field`` if the expiry would fall after
                9999-12-31, which no backend can store.
        """
        if self.kind == "never":
            return None
        zone = _zone(timezone)
        try:
            local = earned_at.astimezone(zone)
            return _boundary(self.kind, self.count, local.date(), timezone)
        except (OverflowError, ValueError):  # pendulum says "year 10000 is out of range"
            raise ValidationError(
                field, "is too late for the expiry rule: its points would expire after 9999"
            ) from None


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


@functools.lru_cache(maxsize=4096)
def _boundary(kind: str, count: int, day_: dt.date, timezone: str) -> pendulum.DateTime:
    """The first instant after the last valid local day (cached: a backfill asks often)."""
    day = pendulum.datetime(day_.year, day_.month, day_.day, tz=timezone)
    if kind == "after_days":
        boundary = day.add(days=count + 1)
    elif kind == "end_of_month":
        boundary = day.start_of("month").add(months=count + 1)
    else:
        boundary = day.start_of("year").add(years=count + 1)
    return boundary.in_timezone("UTC")


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

    Args:
        currency: purchases in this currency earn; others earn nothing.
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
    """

    currency: str = attrs.field()
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

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.currency, str) or self.currency not in MINOR_UNITS:
            raise ValidationError("currency", "must be an active ISO 4217 code such as 'EUR'")
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

    def qualifies(self, total: Money) -> bool:
        """Return whether an order of ``total`` earns at all (currency, minimum)."""
        if total.currency != self.currency:
            return False
        return self.minimum_order is None or total >= self.minimum_order

    def base_points(
        self, total: Money, lines: Sequence[tuple[str, str | None, Money]], tier: Tier | None
    ) -> int:
        """Return the points an order earns before bonuses (rounded down, capped).

        Each line's multiplier applies to its share of what was charged, so
        shipping, tax and discounts are spread over the lines in proportion.
        """
        if not self.qualifies(total):
            return 0
        charged = total.amount
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

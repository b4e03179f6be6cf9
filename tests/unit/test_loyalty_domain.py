"""The loyalty domain's pure rules: expiry instants, earning arithmetic, proportions."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relationkit as rk
from relationkit.services.loyalty.book import proportion


def test_after_days_expires_at_local_midnight() -> None:
    """Points earned late on a Paris evening expire at a Paris midnight, not a UTC one."""
    earned = pendulum.datetime(2026, 1, 31, 23, 30, tz="Europe/Paris")
    expiry = rk.Expiry.after_days(30)

    expected = pendulum.datetime(2026, 3, 3, tz="Europe/Paris").in_timezone("UTC")
    assert expected == expiry.expires_at(earned.in_timezone("UTC"), "Europe/Paris")


def test_end_of_month_uses_the_local_month() -> None:
    """Just after midnight in Auckland on Feb 1 is still January in UTC: February counts."""
    earned = pendulum.datetime(2026, 2, 1, 0, 30, tz="Pacific/Auckland")
    expiry = rk.Expiry.end_of_month()

    expected = pendulum.datetime(2026, 3, 1, tz="Pacific/Auckland").in_timezone("UTC")
    assert expected == expiry.expires_at(earned.in_timezone("UTC"), "Pacific/Auckland")


def test_end_of_year_across_new_year_in_los_angeles() -> None:
    """Dec 31, 20:00 in Los Angeles is Jan 1 in UTC, yet belongs to the old year."""
    earned = pendulum.datetime(2025, 12, 31, 20, tz="America/Los_Angeles")
    expiry = rk.Expiry.end_of_year()

    expected = pendulum.datetime(2026, 1, 1, tz="America/Los_Angeles").in_timezone("UTC")
    assert expected == expiry.expires_at(earned.in_timezone("UTC"), "America/Los_Angeles")


def test_never_expires() -> None:
    """Expiry.never() gives no expiry instant."""
    assert rk.Expiry.never().expires_at(pendulum.now("UTC"), "UTC") is None


def test_one_point_per_whole_unit_rounded_down() -> None:
    """The one-line program earns floor(total) points."""
    program = rk.LoyaltyProgram(points_per_unit=1, currency="EUR")

    assert 59 == program.base_points(rk.Money("59.99", "EUR"), [], None)


def test_other_currencies_and_small_orders_earn_nothing() -> None:
    """Only the program's currency earns, and only from the minimum order up."""
    program = rk.LoyaltyProgram(currency="EUR", minimum_order=rk.Money(20, "EUR"))

    assert 0 == program.base_points(rk.Money(100, "USD"), [], None)
    assert 0 == program.base_points(rk.Money("19.99", "EUR"), [], None)
    assert 20 == program.base_points(rk.Money(20, "EUR"), [], None)


def test_sku_multiplier_applies_to_the_line_share_of_the_charge() -> None:
    """A double-points SKU doubles its share of what was charged, discounts included."""
    program = rk.LoyaltyProgram(currency="EUR", sku_multipliers={"MUG": 2})
    lines = [
        ("MUG", None, rk.Money(50, "EUR")),
        ("TEE", None, rk.Money(50, "EUR")),
    ]

    # 80 EUR charged for 100 EUR of goods: each line's share is 40 EUR.
    assert 120 == program.base_points(rk.Money(80, "EUR"), lines, None)


def test_tier_multiplier_and_cap() -> None:
    """A tier's multiplier scales earning; the cap bounds an order's points."""
    gold = rk.Tier("gold", 1000, multiplier=Decimal("1.5"))
    program = rk.LoyaltyProgram(currency="EUR", tiers=(gold,), max_points_per_order=100)

    assert 150 == program.base_points(rk.Money(100, "EUR"), [], gold)
    assert 100 == program.cap(150)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"currency": "XXX"},
        {"currency": "EUR", "points_per_unit": 1.5},
        {"currency": "EUR", "pending_days": -1},
        {"currency": "EUR", "timezone": "Mars/Olympus"},
        {"currency": "EUR", "tier_basis": "balance"},
        {"currency": "EUR", "negative_balance": "clamp"},
        {"currency": "EUR", "minimum_order": rk.Money(5, "USD")},
        {"currency": "EUR", "tiers": (rk.Tier("a", 10), rk.Tier("a", 20))},
    ],
)
def test_bad_programs_are_rejected(kwargs: dict[str, object]) -> None:
    """A program that cannot work is refused when built, naming the field."""
    with pytest.raises(rk.errors.ValidationError):
        rk.LoyaltyProgram(**kwargs)  # type: ignore[arg-type]


@given(
    awarded=st.integers(min_value=0, max_value=10_000),
    total=st.integers(min_value=1, max_value=1_000_000),
    cuts=st.lists(st.integers(min_value=1, max_value=1_000_000), max_size=8),
)
def test_proportional_reversals_never_exceed_what_was_earned(
    awarded: int, total: int, cuts: list[int]
) -> None:
    """Cumulative refunds take back round-half-even shares, all of it at a full refund."""
    refunded = 0
    taken = 0
    for cut in cuts:
        step = min(cut, total - refunded)
        if step <= 0:
            break
        refunded += step
        take = proportion(awarded, refunded, total) - taken
        assert take >= 0
        taken += take
        assert taken <= awarded
    if refunded == total:
        assert awarded == taken

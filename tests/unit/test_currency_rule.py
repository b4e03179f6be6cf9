"""CurrencyRule: exact rates, checked before anything is written, and the conversion."""

from __future__ import annotations

from decimal import Decimal

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationkit as rk
from relationkit.domain.loyalty.currencies import MAX_RATE_DECIMALS, check_rate
from relationkit.errors import ValidationError

AT = pendulum.datetime(2026, 1, 5, tz="UTC")


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (0.92, "rates['USD']"),
        (True, "rates['USD']"),
        ("abc", "rates['USD']"),
        ("NaN", "rates['USD']"),
        ("Infinity", "rates['USD']"),
        (0, "rates['USD']"),
        (Decimal("-0.5"), "rates['USD']"),
        (Decimal("1e-13"), "rates['USD']"),
        (10**13, "rates['USD']"),
    ],
)
def test_a_bad_rate_in_a_table_is_refused_naming_its_currency(bad: object, field: str) -> None:
    """Floats, bools, non-numbers, NaN, infinities, zero, negatives, too many
    decimals and huge rates are a ValidationError on the currency's rate."""
    with pytest.raises(ValidationError) as caught:
        rk.CurrencyRule.rates({"USD": bad})  # type: ignore[dict-item]

    assert field == caught.value.field


def test_codes_are_normalised_and_checked() -> None:
    """Lower-case codes are upper-cased; an unknown code, or the same code twice,
    is refused on ``currency`` or ``rates``."""
    rule = rk.CurrencyRule.rates({"usd": "0.92"})

    assert {"USD": Decimal("0.92")} == rule.table
    with pytest.raises(ValidationError) as unknown:
        rk.CurrencyRule.rates({"USX": "1"})
    with pytest.raises(ValidationError) as twice:
        rk.CurrencyRule.rates({"usd": "1", "USD": "2"})
    assert ("currency", "rates") == (unknown.value.field, twice.value.field)


def test_the_programs_own_currency_has_no_rate() -> None:
    """A table naming the program's currency is refused on ``other_currencies``."""
    with pytest.raises(ValidationError) as caught:
        rk.LoyaltyProgram(currency="EUR", other_currencies=rk.CurrencyRule.rates({"EUR": "1"}))

    assert "other_currencies" == caught.value.field


def test_other_currencies_must_be_a_rule() -> None:
    """A bare mapping is not a rule: ValidationError on ``other_currencies``."""
    with pytest.raises(ValidationError) as caught:
        rk.LoyaltyProgram(currency="EUR", other_currencies={"USD": "0.92"})  # type: ignore[arg-type]

    assert "other_currencies" == caught.value.field


def test_the_default_earns_nothing_in_other_currencies() -> None:
    """The default rule gives a rate of 1 in the program's currency and none elsewhere."""
    program = rk.LoyaltyProgram(currency="EUR")

    assert ("earn_nothing", Decimal(1), None) == (
        program.other_currencies.kind,
        program.rate_for(rk.Money("1.00", "EUR"), AT),
        program.rate_for(rk.Money("1.00", "USD"), AT),
    )


def test_host_rates_are_checked_when_asked() -> None:
    """The host's float is a ValidationError on ``rate``; None means no rate."""
    rates: dict[str, object] = {"USD": 0.92, "GBP": None, "CHF": "1.05"}
    program = rk.LoyaltyProgram(
        currency="EUR",
        other_currencies=rk.CurrencyRule.host_rates(lambda c, p, at: rates[c]),  # type: ignore[arg-type,return-value]
    )

    with pytest.raises(ValidationError) as caught:
        program.rate_for(rk.Money("1.00", "USD"), AT)
    assert ("rate", None, Decimal("1.05")) == (
        caught.value.field,
        program.rate_for(rk.Money("1.00", "GBP"), AT),
        program.rate_for(rk.Money("1.00", "CHF"), AT),
    )


def test_a_host_rule_needs_a_function() -> None:
    """host_rates of something that cannot be called is refused on ``rates``."""
    with pytest.raises(ValidationError) as caught:
        rk.CurrencyRule.host_rates("0.92")  # type: ignore[arg-type]

    assert "rates" == caught.value.field


@settings(max_examples=80, deadline=None)
@given(
    rate=st.decimals(min_value="0.000001", max_value="1000", places=6),
    cents=st.integers(min_value=0, max_value=10**12),
    multiplier=st.decimals(min_value="0", max_value="10", places=2),
)
def test_points_are_the_converted_amount_rounded_down(
    rate: Decimal, cents: int, multiplier: Decimal
) -> None:
    """An order in USD earns floor(total * rate * points_per_unit): converted
    exactly, rounded once, never above the exact figure nor a point below it."""
    program = rk.LoyaltyProgram(
        currency="EUR",
        points_per_unit=multiplier,
        other_currencies=rk.CurrencyRule.rates({"USD": rate}),
    )
    total = rk.Money.from_minor(cents, "USD")

    points = program.base_points(total, [], None, program.rate_for(total, AT))

    exact = total.amount * rate * multiplier
    assert (True, True) == (points <= exact, exact - points < 1)


@given(rate=st.decimals(min_value="0.000000000001", max_value="10", places=MAX_RATE_DECIMALS))
@settings(max_examples=60, deadline=None)
def test_every_positive_rate_of_twelve_decimals_is_kept_exactly(rate: Decimal) -> None:
    """check_rate hands back the very Decimal it was given."""
    assert rate == check_rate(rate)

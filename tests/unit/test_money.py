"""Money: exact amounts at the currency's minor unit, never rounded silently."""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationkit as rk
from relationkit import _validate as v
from relationkit._currencies import MINOR_UNITS
from relationkit.errors import RelationKitError, ValidationError
from relationkit.money import MAX_MINOR
from relationkit.testing import strategies as rks

FAST = settings(max_examples=60, deadline=None)


def test_amounts_equal_at_the_minor_unit() -> None:
    """ "59.9" and "59.90" EUR are the same money, held as a Decimal with two places."""
    money = rk.Money("59.9", "EUR")

    assert rk.Money("59.90", "EUR") == money
    assert Decimal("59.90") == money.amount
    expected = "59.90"
    assert expected == str(money.amount)
    expected = "EUR"
    assert expected == money.currency


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (10, "EUR", "10.00"),
        (Decimal("1.5"), "USD", "1.50"),
        ("1500", "JPY", "1500"),
        ("1500.0", "JPY", "1500"),
        ("1.5", "KWD", "1.500"),
        ("1.234", "KWD", "1.234"),
        ("1.2345", "CLF", "1.2345"),
        (" 7.1 ", "EUR", "7.10"),
    ],
)
def test_accepted_amounts_are_held_at_the_minor_unit(
    amount: Any, currency: str, expected: str
) -> None:
    """Ints, Decimals and numeric strings within the currency's decimals are accepted."""
    assert Decimal(expected) == rk.Money(amount, currency).amount
    assert expected == str(rk.Money(amount, currency).amount)


@pytest.mark.parametrize(
    ("currency", "digits"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3)]
)
def test_digits_follow_iso_4217(currency: str, digits: int) -> None:
    """Each currency keeps its ISO 4217 number of decimals (JPY 0, KWD 3)."""
    assert digits == rk.Money.zero(currency).digits


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("59.999", "EUR"),
        ("0.001", "USD"),
        ("10.5", "JPY"),
        ("1.1", "JPY"),
        ("1.2345", "KWD"),
        (Decimal("0.0001"), "KWD"),
    ],
)
def test_excess_decimals_are_rejected_not_rounded(amount: Any, currency: str) -> None:
    """More decimals than the currency has raise ValidationError on "amount"."""
    with pytest.raises(ValidationError) as caught:
        rk.Money(amount, currency)

    expected = "amount"
    assert expected == caught.value.field


@pytest.mark.parametrize(
    "amount",
    [
        1.5,
        0.0,
        float("nan"),
        float("inf"),
        "NaN",
        "sNaN",
        "Infinity",
        "-inf",
        Decimal("NaN"),
        Decimal("-Infinity"),
        True,
        "",
        "abc",
        "1,50",
        None,
        [1],
        "1e40",
    ],
)
def test_floats_nan_infinities_and_garbage_are_rejected(amount: Any) -> None:
    """Floats, NaN, infinities, bools, non-numbers and absurd sizes raise ValidationError."""
    with pytest.raises(ValidationError) as caught:
        rk.Money(amount, "EUR")

    expected = "amount"
    assert expected == caught.value.field


@pytest.mark.parametrize("currency", ["XXX", "EURO", "", None, 978, "XAU"])
def test_unknown_currency_codes_are_rejected(currency: Any) -> None:
    """Only active ISO 4217 codes (in any letter case) are currencies."""
    with pytest.raises(ValidationError) as caught:
        rk.Money("1", currency)

    expected = "currency"
    assert expected == caught.value.field


def test_validation_error_is_a_value_error_and_a_relationkit_error() -> None:
    """Hosts may catch bad money as ValueError or as RelationKitError."""
    with pytest.raises(ValidationError) as caught:
        rk.Money(1.5, "EUR")  # type: ignore[arg-type]

    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, RelationKitError)


@pytest.mark.parametrize(
    "combine",
    [operator.add, operator.sub, operator.lt, operator.le, operator.gt, operator.ge],
    ids=["add", "sub", "lt", "le", "gt", "ge"],
)
def test_mixed_currency_arithmetic_is_rejected(combine: Callable[[Any, Any], Any]) -> None:
    """Adding, subtracting or comparing EUR with USD raises ValidationError."""
    with pytest.raises(ValidationError) as caught:
        combine(rk.Money("1", "EUR"), rk.Money("1", "USD"))

    expected = "currency"
    assert expected == caught.value.field


def test_mixed_currencies_are_simply_unequal() -> None:
    """Equality across currencies is False rather than an error (usable in sets and dicts)."""
    assert rk.Money("1", "EUR") != rk.Money("1", "USD")


def test_same_currency_arithmetic() -> None:
    """Sum, difference, integer product, negation and ordering stay in the currency."""
    a, b = rk.Money("10.10", "EUR"), rk.Money("0.95", "EUR")

    assert rk.Money("11.05", "EUR") == a + b
    assert rk.Money("9.15", "EUR") == a - b
    assert rk.Money("30.30", "EUR") == a * 3
    assert rk.Money("30.30", "EUR") == 3 * a
    assert rk.Money("-0.95", "EUR") == -b
    assert [b, a] == sorted([a, b])
    expected = (False, True)
    assert expected == (bool(rk.Money.zero("EUR")), bool(b))


def test_multiplying_by_a_float_or_a_bool_is_refused() -> None:
    """Only an int factor keeps money exact; a float or bool factor is a TypeError."""
    with pytest.raises(TypeError):
        rk.Money("1", "EUR") * 1.5
    with pytest.raises(TypeError):
        rk.Money("1", "EUR") * True


def test_ordering_against_a_non_money_is_a_type_error() -> None:
    """Comparing Money with a plain number raises TypeError, as Python's protocol wants."""
    with pytest.raises(TypeError):
        rk.Money("1", "EUR") < 5  # type: ignore[operator]  # noqa: B015


@FAST
@given(currency=rks.currencies(), minor=st.integers(-(10**15), 10**15))
def test_from_minor_and_minor_round_trip(currency: str, minor: int) -> None:
    """Money.from_minor(m, c).minor == m for every currency."""
    assert minor == rk.Money.from_minor(minor, currency).minor


@FAST
@given(money=rks.money(min_minor=-(10**12)), zeros=st.integers(0, 4))
def test_trailing_zeros_do_not_change_the_value(money: rk.Money, zeros: int) -> None:
    """Writing the same amount with extra trailing zeros gives equal money."""
    text = format(money.amount, "f")
    padded = text + ("." if "." not in text and zeros else "") + "0" * zeros

    assert money == rk.Money(padded, money.currency)


@FAST
@given(data=st.data(), currency=rks.currencies())
def test_addition_is_integer_addition_of_minor_units(data: st.DataObject, currency: str) -> None:
    """(a + b).minor == a.minor + b.minor: no rounding anywhere."""
    a = data.draw(rks.money(currency, min_minor=-(10**12)))
    b = data.draw(rks.money(currency, min_minor=-(10**12)))

    assert a.minor + b.minor == (a + b).minor
    assert a == (a + b) - b


@FAST
@given(currency=rks.currencies(), minor=st.integers(1, 10**6))
def test_one_minor_unit_less_is_rejected_below_it(currency: str, minor: int) -> None:
    """An amount with one decimal more than the currency allows is always rejected."""
    digits = MINOR_UNITS[currency]
    finer = Decimal(minor * 10 + 1).scaleb(-(digits + 1))

    with pytest.raises(ValidationError):
        rk.Money(finer, currency)


def test_money_beyond_the_storage_bound_is_still_an_exact_value() -> None:
    """Money is exact at any size; MAX_MINOR bounds what relationkit stores, not the type."""
    big = rk.Money(10**17, "EUR")

    assert 10**19 == big.minor
    assert rk.Money(2 * 10**17, "EUR") == big + big
    assert MAX_MINOR < big.minor


def test_the_storage_bound_leaves_room_for_sums() -> None:
    """MAX_MINOR is 17 digits of minor units: 92 maximal amounts still add up within int64."""
    assert rk.Money("999999999999999.99", "EUR") == rk.Money.from_minor(MAX_MINOR, "EUR")
    assert 92 * MAX_MINOR <= 2**63 - 1


@FAST
@given(currency=rks.currencies(), minor=st.integers(-MAX_MINOR, MAX_MINOR))
def test_every_amount_within_the_bound_is_accepted(currency: str, minor: int) -> None:
    """Any amount up to MAX_MINOR minor units either way, in any currency, enters as is."""
    money = rk.Money.from_minor(minor, currency)

    assert money == v.money(money, "total")


@FAST
@given(
    currency=rks.currencies(),
    minor=st.integers(MAX_MINOR + 1, 10**25) | st.integers(-(10**25), -MAX_MINOR - 1),
)
def test_every_amount_beyond_the_bound_names_the_field(currency: str, minor: int) -> None:
    """An amount past MAX_MINOR minor units either way is a ValidationError on its field."""
    with pytest.raises(ValidationError) as caught:
        v.money(rk.Money.from_minor(minor, currency), "total")

    expected = "total"
    assert expected == caught.value.field

"""Bad input is a ValidationError naming the field, raised before anything is written.

Text that no backend can store the same way (lone surrogates, NUL), instants
outside the supported range, and numbers beyond the documented bounds are
refused by the shared validators, so the memory, SQLite and PostgreSQL
backends all answer the same. The SQLite tests at the end prove that the
check happens before storage: the driver never sees the value.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import relationkit as rk
from relationkit import _validate as v
from relationkit.domain.loyalty import (
    MAX_EXPIRY_DAYS,
    MAX_EXPIRY_MONTHS,
    MAX_EXPIRY_YEARS,
    MAX_PENDING_DAYS,
    MAX_POINTS,
    MAX_TIER_WINDOW_DAYS,
)
from relationkit.errors import ValidationError
from relationkit.money import MAX_MINOR
from relationkit.testing import strategies as rks

FAST = settings(max_examples=60, deadline=None)
START = pendulum.datetime(2026, 3, 2, 9, tz="UTC")
SURROGATE = "\ud800"
EUR = "EUR"

Call = Callable[["Shop"], object]


class Shop:
    """A kit with one customer and one recorded order, and the events it fired."""

    def __init__(self, kit: rk.RelationKit) -> None:
        self.kit = kit
        self.alice = kit.customers.create(email="alice@example.com", name="Alice")
        kit.purchases.record(
            order_id="A-1",
            customer_id=self.alice.id,
            occurred_at=START,
            total=rk.Money(20, EUR),
        )
        kit.loyalty.adjust(self.alice.id, 100, idempotency_key="seed", reason="seed")
        self.seen: list[rk.events.Event] = []
        kit.hooks.on(rk.events.Event, self.seen.append)

    def buy(self, **changes: Any) -> rk.Purchase:
        """Record order B-1 with ``changes`` applied to a valid payload."""
        payload: dict[str, Any] = {
            "order_id": "B-1",
            "customer_id": self.alice.id,
            "occurred_at": START,
            "total": rk.Money(10, EUR),
        }
        return self.kit.purchases.record(**{**payload, **changes})


@pytest.fixture
def shop() -> Iterator[Shop]:
    """An in-memory shop on a frozen clock."""
    with rk.open(clock=rk.FrozenClock(START)) as kit:
        yield Shop(kit)


@pytest.fixture
def sqlite_shop(tmp_path: Path) -> Iterator[Shop]:
    """The same shop on a SQLite file."""
    with rk.open("sqlite:///" + str(tmp_path / "x.db"), clock=rk.FrozenClock(START)) as kit:
        yield Shop(kit)


def _line(**changes: Any) -> dict[str, Any]:
    return {"sku": "TSHIRT", "quantity": 1, "unit_price": rk.Money(10, EUR), **changes}


def _expect_rejected(shop: Shop, call: Call, field: str) -> None:
    """Assert ``call`` raises ValidationError on ``field`` and commits nothing."""
    timeline = shop.kit.timeline(shop.alice.id)
    balance = shop.kit.loyalty.balance(shop.alice.id)

    with pytest.raises(ValidationError) as caught:
        call(shop)

    assert field == caught.value.field
    assert [] == shop.seen
    assert timeline == shop.kit.timeline(shop.alice.id)
    assert balance == shop.kit.loyalty.balance(shop.alice.id)


# -- text: lone surrogates -----------------------------------------------------------

SURROGATE_CALLS: list[tuple[str, Call, str]] = [
    ("email", lambda s: s.kit.customers.create(email=f"x{SURROGATE}@example.com"), "email"),
    ("name", lambda s: s.kit.customers.create(name=f"Bob {SURROGATE}"), "name"),
    ("external_id", lambda s: s.kit.customers.create(external_id=f"u{SURROGATE}"), "external_id"),
    ("role", lambda s: s.kit.customers.create(name="Bob", role=SURROGATE), "role"),
    (
        "attribute key",
        lambda s: s.kit.customers.create(name="Bob", attributes={SURROGATE: 1}),
        "attributes",
    ),
    (
        "attribute value",
        lambda s: s.kit.customers.create(name="Bob", attributes={"city": f"Lyon{SURROGATE}"}),
        "attributes['city']",
    ),
    (
        "nested attribute value",
        lambda s: s.kit.customers.create(name="Bob", attributes={"a": {"b": ["ok", SURROGATE]}}),
        "attributes['a']['b'][1]",
    ),
    (
        "nested attribute key",
        lambda s: s.kit.customers.create(name="Bob", attributes={"a": {SURROGATE: 1}}),
        "attributes['a']",
    ),
    ("update name", lambda s: s.kit.customers.update(s.alice.id, name=SURROGATE), "name"),
    (
        "update attributes",
        lambda s: s.kit.customers.update(s.alice.id, attributes={"k": SURROGATE}),
        "attributes['k']",
    ),
    (
        "upsert external_id",
        lambda s: s.kit.customers.upsert(external_id=SURROGATE, name="Bob"),
        "external_id",
    ),
    ("account name", lambda s: s.kit.accounts.create(name=SURROGATE), "name"),
    (
        "interaction subject",
        lambda s: s.kit.interactions.log(
            s.alice.id, channel=rk.Channel.EMAIL, direction=rk.Direction.OUTBOUND, subject=SURROGATE
        ),
        "subject",
    ),
    (
        "interaction notes",
        lambda s: s.kit.interactions.log(
            s.alice.id, channel=rk.Channel.EMAIL, direction=rk.Direction.OUTBOUND, notes=SURROGATE
        ),
        "notes",
    ),
    (
        "interaction outcome",
        lambda s: s.kit.interactions.log(
            s.alice.id, channel=rk.Channel.EMAIL, direction=rk.Direction.OUTBOUND, outcome=SURROGATE
        ),
        "outcome",
    ),
    ("order_id", lambda s: s.buy(order_id=f"B{SURROGATE}"), "order_id"),
    ("line sku", lambda s: s.buy(lines=[_line(sku=SURROGATE)]), "lines[0].sku"),
    ("line category", lambda s: s.buy(lines=[_line(category=SURROGATE)]), "lines[0].category"),
    (
        "refund_id",
        lambda s: s.kit.purchases.refund("A-1", refund_id=SURROGATE, amount=rk.Money(1, EUR)),
        "refund_id",
    ),
    (
        "refund reason",
        lambda s: s.kit.purchases.refund(
            "A-1", refund_id="r-1", amount=rk.Money(1, EUR), reason=SURROGATE
        ),
        "reason",
    ),
    (
        "earn idempotency_key",
        lambda s: s.kit.loyalty.earn(s.alice.id, 5, idempotency_key=SURROGATE),
        "idempotency_key",
    ),
    (
        "earn reason",
        lambda s: s.kit.loyalty.earn(s.alice.id, 5, idempotency_key="e-1", reason=SURROGATE),
        "reason",
    ),
    (
        "redeem reason",
        lambda s: s.kit.loyalty.redeem(s.alice.id, 5, idempotency_key="r-1", reason=SURROGATE),
        "reason",
    ),
    (
        "adjust reason",
        lambda s: s.kit.loyalty.adjust(s.alice.id, 5, idempotency_key="a-1", reason=SURROGATE),
        "reason",
    ),
    ("stage", lambda s: s.kit.lifecycle.move(s.alice.id, SURROGATE), "to_stage"),
    (
        "stage reason",
        lambda s: s.kit.lifecycle.move(s.alice.id, "loyal", reason=SURROGATE),
        "reason",
    ),
]


@pytest.mark.parametrize(
    ("call", "field"),
    [pytest.param(call, field, id=name) for name, call, field in SURROGATE_CALLS],
)
def test_lone_surrogates_are_rejected_before_anything_is_written(
    shop: Shop, call: Call, field: str
) -> None:
    """A lone surrogate in any stored text is a ValidationError on its field; nothing is written."""
    _expect_rejected(shop, call, field)


def test_lone_surrogates_are_rejected_in_lookups(shop: Shop) -> None:
    """Lookups by email, external id or id refuse a lone surrogate instead of querying with it."""
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: shop.kit.customers.get_by_email(f"a{SURROGATE}@example.com"), "email"),
        (lambda: shop.kit.customers.get_by_external_id(SURROGATE), "external_id"),
        (lambda: shop.kit.customers.get(SURROGATE), "id"),
        (lambda: shop.kit.purchases.get(SURROGATE), "order_id"),
    ]
    for call, field in cases:
        with pytest.raises(ValidationError) as caught:
            call()
        assert field == caught.value.field


def test_domain_values_reject_lone_surrogates() -> None:
    """Line items and tiers, built by the host, refuse lone surrogates on construction."""
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: rk.LineItem(sku=SURROGATE, quantity=1, unit_price=rk.Money(1, EUR)), "sku"),
        (
            lambda: rk.LineItem(
                sku="S", quantity=1, unit_price=rk.Money(1, EUR), category=SURROGATE
            ),
            "category",
        ),
        (lambda: rk.Tier(f"gold{SURROGATE}", 100), "tier.name"),
        (lambda: rk.Tier("gold\x00", 100), "tier.name"),
    ]
    for build, field in cases:
        with pytest.raises(ValidationError) as caught:
            build()
        assert field == caught.value.field


_VALIDATORS: list[tuple[Callable[[str], object], str]] = [
    (lambda s: v.text(s, "name"), "name"),
    (lambda s: v.optional_text(s, "notes"), "notes"),
    (lambda s: v.identifier(s, "order_id"), "order_id"),
    (lambda s: v.email(s + "@example.com"), "email"),
    (lambda s: v.attributes({"k": s}), "attributes['k']"),
    (lambda s: v.attributes({s: 1}), "attributes"),
    (lambda s: v.attributes({"k": [{"m": s}]}), "attributes['k'][0]['m']"),
]


@FAST
@given(
    st.text(
        st.characters(codec="utf-8", exclude_categories=("C", "Z"), exclude_characters="@"),
        min_size=1,
        max_size=20,
    ),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.integers(0, 20),
    st.sampled_from(_VALIDATORS),
)
def test_every_text_validator_rejects_any_lone_surrogate(
    text: str, surrogate: str, at: int, validator: tuple[Callable[[str], object], str]
) -> None:
    """Wherever a surrogate sits in otherwise valid text, every text check names the field."""
    check, field = validator
    check(text)  # the same text without the surrogate is accepted
    spoiled = text[:at] + surrogate + text[at:]

    with pytest.raises(ValidationError) as caught:
        check(spoiled)

    assert field == caught.value.field


@FAST
@given(rks.names(), rks.identifiers(), rks.emails(), rks.attributes())
def test_text_the_strategies_draw_is_accepted(
    name: str, identifier: str, email: str, attributes: dict[str, Any]
) -> None:
    """Valid text, identifiers, emails and attributes still pass, unchanged."""
    assert name == v.text(name, "name")
    assert identifier == v.identifier(identifier, "id")
    assert email == v.email(email)
    assert attributes == v.attributes(attributes)


# -- datetimes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(pendulum.datetime(1, 1, 1, tz="Etc/GMT-14"), id="year-0-in-utc"),
        pytest.param(pendulum.datetime(9999, 12, 31, 23, tz="Etc/GMT+5"), id="year-10000-in-utc"),
        pytest.param(
            dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))), id="stdlib-year-0"
        ),
        pytest.param(v.MIN_INSTANT.subtract(microseconds=1), id="just-before-min"),
        pytest.param(v.MAX_INSTANT.add(microseconds=1), id="just-after-max"),
        pytest.param(pendulum.datetime(9999, 6, 1, tz="UTC"), id="year-9999"),
    ],
)
def test_instants_outside_the_supported_range_are_rejected(value: dt.datetime) -> None:
    """An aware datetime whose UTC form leaves 0001-01-02..9998-12-31 names the field."""
    with pytest.raises(ValidationError) as caught:
        v.aware_utc(value, "occurred_at")

    assert "occurred_at" == caught.value.field


def test_the_range_bounds_themselves_are_accepted() -> None:
    """The first and the last supported instants come back unchanged, in UTC."""
    assert v.MIN_INSTANT == v.aware_utc(v.MIN_INSTANT.in_timezone("Pacific/Kiritimati"), "at")
    assert v.MAX_INSTANT == v.aware_utc(v.MAX_INSTANT.in_timezone("Etc/GMT+12"), "at")


@FAST
@given(
    st.datetimes(
        min_value=v.MIN_INSTANT.naive(), max_value=v.MAX_INSTANT.naive(), timezones=st.just(dt.UTC)
    ),
    rks.timezones(),
)
def test_every_accepted_instant_has_a_local_date_in_every_zone(
    instant: dt.datetime, zone: str
) -> None:
    """An accepted instant converts to any time zone (expiry counts local days) without overflow."""
    utc = v.aware_utc(instant, "at")

    assert utc == utc.in_timezone(zone)


_EXPIRIES = st.one_of(
    st.builds(rk.Expiry.after_days, st.integers(1, MAX_EXPIRY_DAYS)),
    st.builds(rk.Expiry.end_of_month, st.integers(0, MAX_EXPIRY_MONTHS)),
    st.builds(rk.Expiry.end_of_year, st.integers(0, MAX_EXPIRY_YEARS)),
)


@FAST
@given(
    st.datetimes(
        min_value=v.MIN_INSTANT.naive(), max_value=v.MAX_INSTANT.naive(), timezones=st.just(dt.UTC)
    ),
    rks.timezones(),
    _EXPIRIES,
)
@example(v.MAX_INSTANT, "Pacific/Kiritimati", rk.Expiry.end_of_year())
@example(v.MAX_INSTANT, "Etc/GMT+12", rk.Expiry.end_of_month())
@example(v.MAX_INSTANT, "UTC", rk.Expiry.after_days(1))
@example(v.MIN_INSTANT, "Pacific/Kiritimati", rk.Expiry.after_days(1))
@example(v.MIN_INSTANT, "Etc/GMT+12", rk.Expiry.end_of_month())
def test_expiry_is_an_instant_or_a_validation_error_never_an_overflow(
    instant: dt.datetime, zone: str, expiry: rk.Expiry
) -> None:
    """An accepted instant's expiry is a later instant, or a ValidationError on occurred_at."""
    earned = v.aware_utc(instant, "at")
    outcome: pendulum.DateTime | str | None
    try:
        outcome = expiry.expires_at(earned, zone)
    except ValidationError as exc:
        outcome = exc.field

    if isinstance(outcome, str):
        assert "occurred_at" == outcome
    else:
        assert outcome is not None
        assert earned < outcome


def test_interactions_refuse_instants_out_of_range(shop: Shop) -> None:
    """Logging an interaction dated in year 0 (UTC) names occurred_at and logs nothing."""
    _expect_rejected(
        shop,
        lambda s: s.kit.interactions.log(
            s.alice.id,
            channel=rk.Channel.PHONE,
            direction=rk.Direction.INBOUND,
            occurred_at=pendulum.datetime(1, 1, 1, tz="Etc/GMT-14"),
        ),
        "occurred_at",
    )


def test_purchases_and_refunds_refuse_instants_out_of_range(shop: Shop) -> None:
    """A purchase or a refund dated past 9998-12-31 UTC names occurred_at and writes nothing."""
    late = pendulum.datetime(9999, 12, 31, 23, tz="Etc/GMT+5")
    _expect_rejected(shop, lambda s: s.buy(occurred_at=late), "occurred_at")
    _expect_rejected(
        shop,
        lambda s: s.kit.purchases.refund(
            "A-1", refund_id="r-1", amount=rk.Money(1, EUR), occurred_at=late
        ),
        "occurred_at",
    )


def test_a_frozen_clock_refuses_a_start_out_of_range() -> None:
    """FrozenClock checks its start like any other instant."""
    with pytest.raises(ValidationError) as caught:
        rk.FrozenClock(pendulum.datetime(1, 1, 1, tz="Etc/GMT-14"))

    assert "start" == caught.value.field


@pytest.mark.parametrize(
    ("build", "field"),
    [
        pytest.param(lambda: rk.Expiry.after_days(10**6), "expiry", id="after_days-1e6"),
        pytest.param(lambda: rk.Expiry.after_days(MAX_EXPIRY_DAYS + 1), "expiry", id="days"),
        pytest.param(lambda: rk.Expiry.end_of_month(MAX_EXPIRY_MONTHS + 1), "expiry", id="months"),
        pytest.param(lambda: rk.Expiry.end_of_year(MAX_EXPIRY_YEARS + 1), "expiry", id="years"),
        pytest.param(lambda: rk.Expiry.end_of_year(10**30), "expiry", id="years-huge"),
        pytest.param(
            lambda: rk.LoyaltyProgram(currency=EUR, pending_days=MAX_PENDING_DAYS + 1),
            "pending_days",
            id="pending_days",
        ),
        pytest.param(
            lambda: rk.LoyaltyProgram(currency=EUR, tier_window_days=MAX_TIER_WINDOW_DAYS + 1),
            "tier_window_days",
            id="tier_window_days",
        ),
    ],
)
def test_program_spans_beyond_their_bounds_are_rejected(
    build: Callable[[], object], field: str
) -> None:
    """Expiry counts, pending and tier windows are bounded so their instants stay representable."""
    with pytest.raises(ValidationError) as caught:
        build()

    assert field == caught.value.field


def test_the_longest_spans_are_accepted() -> None:
    """The documented maximum of each span is itself valid."""
    program = rk.LoyaltyProgram(
        currency=EUR,
        pending_days=MAX_PENDING_DAYS,
        tier_window_days=MAX_TIER_WINDOW_DAYS,
        expiry=rk.Expiry.after_days(MAX_EXPIRY_DAYS),
    )
    rk.Expiry.end_of_month(MAX_EXPIRY_MONTHS)
    rk.Expiry.end_of_year(MAX_EXPIRY_YEARS)

    assert MAX_PENDING_DAYS == program.pending_days


def test_end_of_year_on_a_purchase_in_9999_names_occurred_at(shop: Shop) -> None:
    """A purchase in year 9999 is out of range before its expiry is even computed."""
    shop.kit.loyalty.configure(rk.LoyaltyProgram(currency=EUR, expiry=rk.Expiry.end_of_year()))

    _expect_rejected(
        shop, lambda s: s.buy(occurred_at=pendulum.datetime(9999, 6, 1, tz="UTC")), "occurred_at"
    )


def test_an_expiry_computed_past_year_9999_names_occurred_at(shop: Shop) -> None:
    """Points earned on 9998-12-31 that would expire in year 10000 roll the purchase back."""
    shop.kit.loyalty.configure(
        rk.LoyaltyProgram(
            currency=EUR, expiry=rk.Expiry.end_of_year(), timezone="Pacific/Kiritimati"
        )
    )

    _expect_rejected(
        shop,
        lambda s: s.buy(occurred_at=pendulum.datetime(9998, 12, 31, 12, tz="UTC")),
        "occurred_at",
    )
    with pytest.raises(rk.errors.NotFound):
        shop.kit.purchases.get("B-1")


def test_the_longest_pending_period_from_the_last_instant_is_representable(shop: Shop) -> None:
    """A purchase at the last supported instant with the longest pending period is recorded."""
    shop.kit.loyalty.configure(rk.LoyaltyProgram(currency=EUR, pending_days=MAX_PENDING_DAYS))

    purchase = shop.buy(occurred_at=v.MAX_INSTANT)

    assert v.MAX_INSTANT == purchase.occurred_at
    assert 10 == shop.kit.loyalty.pending(shop.alice.id)


# -- numbers -------------------------------------------------------------------------

NUMBER_CALLS: list[tuple[str, Call, str]] = [
    ("earn 2**63", lambda s: s.kit.loyalty.earn(s.alice.id, 2**63, idempotency_key="e"), "points"),
    (
        "earn over the bound",
        lambda s: s.kit.loyalty.earn(s.alice.id, MAX_POINTS + 1, idempotency_key="e"),
        "points",
    ),
    (
        "redeem 2**63",
        lambda s: s.kit.loyalty.redeem(s.alice.id, 2**63, idempotency_key="r"),
        "points",
    ),
    ("points_used 2**70", lambda s: s.buy(points_used=2**70), "points_used"),
    (
        "points_used over the bound",
        lambda s: s.buy(points_used=MAX_POINTS + 1),
        "points_used",
    ),
    ("total 10**17 EUR", lambda s: s.buy(total=rk.Money(10**17, EUR)), "total"),
    (
        "total one cent over the bound",
        lambda s: s.buy(total=rk.Money.from_minor(MAX_MINOR + 1, EUR)),
        "total",
    ),
    (
        "line unit_price",
        lambda s: s.buy(lines=[_line(unit_price=rk.Money(10**17, EUR))]),
        "lines[0].unit_price",
    ),
    ("line quantity", lambda s: s.buy(lines=[_line(quantity=2**63)]), "lines[0].quantity"),
    (
        "refund amount",
        lambda s: s.kit.purchases.refund("A-1", refund_id="r-1", amount=rk.Money(10**17, EUR)),
        "amount",
    ),
    (
        "attribute int with 4,300 digits",
        lambda s: s.kit.customers.create(name="Bob", attributes={"n": 10**4300}),
        "attributes['n']",
    ),
    (
        "attribute int 2**63",
        lambda s: s.kit.customers.create(name="Bob", attributes={"n": 2**63}),
        "attributes['n']",
    ),
    (
        "attribute int below -2**63",
        lambda s: s.kit.customers.create(name="Bob", attributes={"n": -(2**63) - 1}),
        "attributes['n']",
    ),
    (
        "nested attribute int",
        lambda s: s.kit.customers.create(name="Bob", attributes={"l": [1, {"n": 2**64}]}),
        "attributes['l'][1]['n']",
    ),
    (
        "attribute NaN",
        lambda s: s.kit.customers.create(name="Bob", attributes={"x": math.nan}),
        "attributes['x']",
    ),
    (
        "attribute inf",
        lambda s: s.kit.customers.create(name="Bob", attributes={"x": [math.inf]}),
        "attributes['x'][0]",
    ),
    (
        "attribute -inf",
        lambda s: s.kit.customers.update(s.alice.id, attributes={"x": -math.inf}),
        "attributes['x']",
    ),
]


@pytest.mark.parametrize(
    ("call", "field"),
    [pytest.param(call, field, id=name) for name, call, field in NUMBER_CALLS],
)
def test_out_of_range_numbers_are_rejected_before_anything_is_written(
    shop: Shop, call: Call, field: str
) -> None:
    """Points, money, quantities and JSON numbers beyond their bounds name the field."""
    _expect_rejected(shop, call, field)


def test_the_bounds_themselves_are_accepted(shop: Shop) -> None:
    """MAX_POINTS points, MAX_MINOR minor units and the int64 extremes are stored as given."""
    shop.kit.loyalty.earn(shop.alice.id, MAX_POINTS, idempotency_key="max")
    purchase = shop.buy(total=rk.Money.from_minor(MAX_MINOR, EUR))
    bob = shop.kit.customers.create(
        name="Bob", attributes={"lo": -(2**63), "hi": 2**63 - 1, "f": 1e308}
    )

    assert 100 + MAX_POINTS == shop.kit.loyalty.balance(shop.alice.id)
    assert MAX_MINOR == purchase.total.minor
    assert {"lo": -(2**63), "hi": 2**63 - 1, "f": 1e308} == bob.attributes


def test_the_bounds_have_their_documented_values() -> None:
    """Points per operation up to 10**12, money up to 17 digits of minor units."""
    assert 10**12 == MAX_POINTS
    assert 10**17 - 1 == MAX_MINOR


@FAST
@given(st.integers(-(2**63), 2**63 - 1))
def test_every_signed_64_bit_attribute_integer_is_accepted(number: int) -> None:
    """Integers of the signed 64-bit range are JSON attribute values every backend keeps."""
    assert {"n": number} == v.attributes({"n": number})


@FAST
@given(st.integers(2**63, 10**5000) | st.integers(-(10**5000), -(2**63) - 1))
def test_every_attribute_integer_beyond_64_bits_is_rejected(number: int) -> None:
    """Integers outside the signed 64-bit range name the attribute."""
    with pytest.raises(ValidationError) as caught:
        v.attributes({"n": number})

    assert "attributes['n']" == caught.value.field


def test_attributes_are_copied_as_plain_json() -> None:
    """Tuples become lists and nested values are copied, so every backend returns the same."""
    nested = {"tags": ("a", "b"), "deep": {"l": [1]}}

    clean = v.attributes(nested)
    nested["deep"]["l"].append(2)  # type: ignore[index]

    assert {"tags": ["a", "b"], "deep": {"l": [1]}} == clean


@pytest.mark.parametrize(
    ("build", "field"),
    [
        pytest.param(
            lambda: rk.LoyaltyProgram(currency=EUR, first_purchase_bonus=MAX_POINTS + 1),
            "first_purchase_bonus",
            id="first_purchase_bonus",
        ),
        pytest.param(
            lambda: rk.LoyaltyProgram(currency=EUR, referral_bonus=2**63),
            "referral_bonus",
            id="referral_bonus",
        ),
        pytest.param(
            lambda: rk.LoyaltyProgram(currency=EUR, referred_bonus=2**63),
            "referred_bonus",
            id="referred_bonus",
        ),
        pytest.param(
            lambda: rk.LoyaltyProgram(currency=EUR, max_points_per_order=2**63),
            "max_points_per_order",
            id="max_points_per_order",
        ),
        pytest.param(
            lambda: rk.LoyaltyProgram(currency=EUR, minimum_order=rk.Money(10**17, EUR)),
            "minimum_order",
            id="minimum_order",
        ),
        pytest.param(
            lambda: rk.LoyaltyProgram(currency=EUR, points_per_unit="1e999999"),
            "points_per_unit",
            id="points_per_unit",
        ),
        pytest.param(
            lambda: rk.LoyaltyProgram(currency=EUR, sku_multipliers={"S": 10**13}),
            "sku_multipliers['S']",
            id="sku_multipliers",
        ),
        pytest.param(lambda: rk.Tier("gold", 10, multiplier=10**13), "multiplier", id="tier"),
    ],
)
def test_program_figures_beyond_their_bounds_are_rejected(
    build: Callable[[], object], field: str
) -> None:
    """Bonuses, caps, minimum orders and multipliers are bounded like the points they make."""
    with pytest.raises(ValidationError) as caught:
        build()

    assert field == caught.value.field


def test_an_order_earning_more_than_max_points_names_total(shop: Shop) -> None:
    """An order whose points would pass MAX_POINTS is refused, unless the program caps it."""
    shop.kit.loyalty.configure(rk.LoyaltyProgram(currency=EUR, points_per_unit=MAX_POINTS))
    _expect_rejected(shop, lambda s: s.buy(total=rk.Money(2, EUR)), "total")

    shop.kit.loyalty.configure(
        rk.LoyaltyProgram(currency=EUR, points_per_unit=MAX_POINTS, max_points_per_order=1_000)
    )
    shop.buy(total=rk.Money(2, EUR))

    assert 1_100 == shop.kit.loyalty.balance(shop.alice.id)


def test_domain_values_reject_out_of_range_numbers() -> None:
    """Line items check quantity and price bounds when the host builds them."""
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: rk.LineItem(sku="S", quantity=2**63, unit_price=rk.Money(1, EUR)), "quantity"),
        (lambda: rk.LineItem(sku="S", quantity=1, unit_price=rk.Money(10**17, EUR)), "unit_price"),
    ]
    for build, field in cases:
        with pytest.raises(ValidationError) as caught:
            build()
        assert field == caught.value.field


# -- services that check a value themselves still apply the bounds ------------------------


def test_adjust_refuses_points_beyond_the_bound(shop: Shop) -> None:
    """adjust() should refuse more than MAX_POINTS points, like earn() and redeem()."""
    with pytest.raises(ValidationError) as caught:
        shop.kit.loyalty.adjust(shop.alice.id, 2**70, idempotency_key="big", reason="x")

    assert "points" == caught.value.field


def test_summary_refuses_an_expiring_window_past_year_9999(shop: Shop) -> None:
    """summary(expiring_within_days=...) should name the field instead of overflowing."""
    with pytest.raises(ValidationError) as caught:
        shop.kit.loyalty.summary(shop.alice.id, expiring_within_days=10**9)

    assert "expiring_within_days" == caught.value.field


# -- the same on SQLite: validation happens before storage ---------------------------------

SQLITE_CALLS = [
    case
    for case in SURROGATE_CALLS + NUMBER_CALLS
    if case[0]
    in {
        "email",
        "name",
        "attribute key",
        "nested attribute value",
        "interaction notes",
        "order_id",
        "line sku",
        "refund reason",
        "earn idempotency_key",
        "stage reason",
        "earn 2**63",
        "points_used 2**70",
        "total 10**17 EUR",
        "line quantity",
        "attribute int with 4,300 digits",
        "attribute int 2**63",
        "attribute NaN",
    }
]


@pytest.mark.parametrize(
    ("call", "field"),
    [pytest.param(call, field, id=name) for name, call, field in SQLITE_CALLS],
)
def test_sqlite_gives_the_same_validation_errors(sqlite_shop: Shop, call: Call, field: str) -> None:
    """On SQLite the same bad input is a ValidationError on the same field, not a StorageError."""
    _expect_rejected(sqlite_shop, call, field)


def test_sqlite_refuses_instants_out_of_range(sqlite_shop: Shop) -> None:
    """On SQLite an instant past 9998-12-31 UTC names occurred_at and writes nothing."""
    _expect_rejected(
        sqlite_shop,
        lambda s: s.buy(occurred_at=pendulum.datetime(9999, 12, 31, 23, tz="Etc/GMT+5")),
        "occurred_at",
    )


def test_sqlite_rolls_back_an_expiry_computed_past_year_9999(sqlite_shop: Shop) -> None:
    """On SQLite the purchase whose expiry overflows is rolled back, with the same error."""
    sqlite_shop.kit.loyalty.configure(
        rk.LoyaltyProgram(
            currency=EUR, expiry=rk.Expiry.end_of_year(), timezone="Pacific/Kiritimati"
        )
    )

    _expect_rejected(
        sqlite_shop,
        lambda s: s.buy(occurred_at=pendulum.datetime(9998, 12, 31, 12, tz="UTC")),
        "occurred_at",
    )
    with pytest.raises(rk.errors.NotFound):
        sqlite_shop.kit.purchases.get("B-1")


def test_sqlite_stores_the_bounds_themselves(sqlite_shop: Shop) -> None:
    """On SQLite the extreme accepted values round-trip exactly."""
    kit = sqlite_shop.kit
    kit.loyalty.earn(sqlite_shop.alice.id, MAX_POINTS, idempotency_key="max")
    sqlite_shop.buy(total=rk.Money.from_minor(MAX_MINOR, EUR), occurred_at=v.MAX_INSTANT)
    bob = kit.customers.create(name="Bob", attributes={"lo": -(2**63), "hi": 2**63 - 1})

    assert 100 + MAX_POINTS == kit.loyalty.balance(sqlite_shop.alice.id)
    assert rk.Money.from_minor(MAX_MINOR, EUR) == kit.purchases.get("B-1").total
    assert v.MAX_INSTANT == kit.purchases.get("B-1").occurred_at
    assert {"lo": -(2**63), "hi": 2**63 - 1} == kit.customers.get(bob.id).attributes

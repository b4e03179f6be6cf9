"""Ids (prefixed monotonic ULIDs) and clocks (the only source of time)."""

from __future__ import annotations

import datetime as dt
import re

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relationkit as rk
from relationkit.errors import ValidationError
from relationkit.testing import strategies as rks

FAST = settings(max_examples=40, deadline=None)
START = pendulum.datetime(2026, 1, 1, tz="UTC")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_SHAPE = re.compile(r"(?P<prefix>[a-z]+)_(?P<time>[0-9A-HJKMNP-TV-Z]{10})[0-9A-HJKMNP-TV-Z]{16}")


def _decode(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + CROCKFORD.index(char)
    return value


# -- ids -----------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["cus", "acc", "evt", "pur", "led"])
def test_id_is_prefix_underscore_and_26_crockford_characters(prefix: str) -> None:
    """An id reads ``{prefix}_{ULID}``: 10 time characters then 16 random ones."""
    made = rk.UlidGenerator(rk.FrozenClock(START)).new(prefix)

    match = ID_SHAPE.fullmatch(made)
    assert match is not None
    assert prefix == match["prefix"]


def test_time_part_encodes_the_clock_in_milliseconds() -> None:
    """The first 10 characters of the body are the clock's Unix time in ms."""
    clock = rk.FrozenClock(pendulum.datetime(2026, 3, 1, 10, 30, 15, 123_000, tz="UTC"))

    made = rk.UlidGenerator(clock).new("cus")

    assert int(clock.now().timestamp() * 1000) == _decode(made[4:14])


def test_ids_are_unique_and_ordered_with_a_frozen_clock() -> None:
    """A thousand ids in the same millisecond are distinct and sort in creation order."""
    generator = rk.UlidGenerator(rk.FrozenClock(START))

    made = [generator.new("cus") for _ in range(1000)]

    assert made == sorted(made)
    assert len(made) == len(set(made))


@FAST
@given(
    steps=st.lists(
        st.one_of(
            st.just(("new", 0)),
            st.tuples(st.just("advance_ms"), st.integers(0, 5_000)),
            st.tuples(st.just("back_ms"), st.integers(1, 5_000)),
        ),
        min_size=1,
        max_size=200,
    ),
    seed=st.integers(0, 2**64),
)
def test_ids_sort_by_creation_whatever_the_clock_does(
    steps: list[tuple[str, int]], seed: int
) -> None:
    """Ids made one after another sort in creation order, even if the clock stalls or steps back."""
    clock = rk.FrozenClock(START)
    generator = rk.UlidGenerator(clock, randbits=lambda bits: seed % (2**bits))
    made = []
    for action, amount in steps:
        if action == "advance_ms":
            clock.advance(seconds=amount / 1000)
        elif action == "back_ms":
            clock.set(clock.now().subtract(microseconds=amount * 1000))
        made.append(generator.new("evt"))

    assert made == sorted(made)
    assert len(made) == len(set(made))


def test_seeded_randomness_gives_reproducible_ids() -> None:
    """Two generators with the same clock and random source make the same ids."""

    def make() -> list[str]:
        generator = rk.UlidGenerator(rk.FrozenClock(START), randbits=lambda bits: 12345)
        return [generator.new("cus") for _ in range(3)]

    assert make() == make()


def test_the_kit_uses_its_clock_for_ids() -> None:
    """Ids made by a kit on a frozen clock carry the frozen time."""
    clock = rk.FrozenClock(START)
    kit = rk.open(clock=clock)

    customer = kit.customers.create(email="ids@example.com")

    assert int(START.timestamp() * 1000) == _decode(customer.id[4:14])
    assert customer.id.startswith("cus_")
    assert customer.account_id.startswith("acc_")


def test_ids_made_by_a_kit_sort_by_creation() -> None:
    """Customers created one after another have ids in creation order, clock frozen."""
    kit = rk.open(clock=rk.FrozenClock(START))

    made = [kit.customers.create(email=f"c{i}@example.com").id for i in range(30)]

    assert made == sorted(made)


# -- clocks --------------------------------------------------------------------


def test_frozen_clock_stands_still_until_told() -> None:
    """now() returns the same instant, in UTC, until advance() or set()."""
    clock = rk.FrozenClock(pendulum.datetime(2026, 1, 1, 1, tz="Europe/Paris"))

    first, second = clock.now(), clock.now()

    assert pendulum.datetime(2026, 1, 1, tz="UTC") == first
    assert first == second
    expected = "UTC"
    assert expected == first.timezone_name


def test_frozen_clock_advance_moves_forward_and_returns_the_new_time() -> None:
    """advance() adds calendar amounts and returns the new now()."""
    clock = rk.FrozenClock(START)

    returned = clock.advance(days=1, hours=2, minutes=3, seconds=4.5)

    assert pendulum.datetime(2026, 1, 2, 2, 3, 4, 500_000, tz="UTC") == returned
    assert returned == clock.now()
    assert pendulum.datetime(2026, 3, 2, 2, 3, 4, 500_000, tz="UTC") == clock.advance(months=2)


def test_frozen_clock_set_jumps_anywhere_and_keeps_utc() -> None:
    """set() jumps backwards or forwards; a zoned time is kept as the same instant in UTC."""
    clock = rk.FrozenClock(START)

    clock.set(pendulum.datetime(2020, 6, 1, 12, tz="America/New_York"))

    assert pendulum.datetime(2020, 6, 1, 16, tz="UTC") == clock.now()
    expected = "UTC"
    assert expected == clock.now().timezone_name


def test_frozen_clock_accepts_a_stdlib_aware_datetime() -> None:
    """An aware datetime.datetime is accepted and turned into pendulum UTC."""
    five_hours_east = dt.timezone(dt.timedelta(hours=5))
    clock = rk.FrozenClock(dt.datetime(2026, 1, 1, 5, tzinfo=five_hours_east))  # type: ignore[arg-type]

    assert pendulum.datetime(2026, 1, 1, tz="UTC") == clock.now()
    assert isinstance(clock.now(), pendulum.DateTime)


@pytest.mark.parametrize(
    "naive", [dt.datetime(2026, 1, 1), pendulum.naive(2026, 1, 1)], ids=["stdlib", "pendulum"]
)
def test_frozen_clock_rejects_naive_datetimes(naive: dt.datetime) -> None:
    """A naive start or set() raises ValidationError: local time is ambiguous."""
    with pytest.raises(ValidationError):
        rk.FrozenClock(naive)  # type: ignore[arg-type]
    clock = rk.FrozenClock(START)
    with pytest.raises(ValidationError):
        clock.set(naive)  # type: ignore[arg-type]
    expected = START
    assert expected == clock.now()


def test_frozen_clock_rejects_non_datetimes() -> None:
    """A date or a string is not a clock time."""
    with pytest.raises(ValidationError):
        rk.FrozenClock(dt.date(2026, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        rk.FrozenClock("2026-01-01T00:00:00Z")  # type: ignore[arg-type]


@FAST
@given(moment=rks.aware_datetimes())
def test_frozen_clock_keeps_any_aware_instant(moment: pendulum.DateTime) -> None:
    """Whatever the zone, the clock reports the same instant, in UTC."""
    clock = rk.FrozenClock(moment)

    assert moment == clock.now()
    assert dt.timedelta(0) == clock.now().utcoffset()


def test_system_clock_is_aware_utc_and_satisfies_the_protocol() -> None:
    """SystemClock().now() is an aware pendulum UTC datetime; both clocks meet Clock."""
    now = rk.SystemClock().now()

    assert isinstance(now, pendulum.DateTime)
    assert dt.timedelta(0) == now.utcoffset()
    assert isinstance(rk.SystemClock(), rk.Clock)
    assert isinstance(rk.FrozenClock(START), rk.Clock)

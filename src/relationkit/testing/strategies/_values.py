"""Strategies for relationkit's values: money, instants, durations, ids, names, emails, JSON."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any, TypeVar

import pendulum
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from relationkit._currencies import MINOR_UNITS
from relationkit.domain.lifecycle import DEFAULT_STAGE_GRAPH
from relationkit.money import Money

T = TypeVar("T")

_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TIERS = ("bronze", "silver", "gold", "platinum")


def _optional(strategy: SearchStrategy[T]) -> SearchStrategy[T | None]:
    return st.none() | strategy


def currencies() -> SearchStrategy[str]:
    """Draw an active ISO 4217 code that :class:`~relationkit.Money` accepts."""
    return st.sampled_from(sorted(MINOR_UNITS))


def money(
    currency: str | None = None, *, min_minor: int = 0, max_minor: int = 10**12
) -> SearchStrategy[Money]:
    """Draw :class:`~relationkit.Money` between two counts of minor units.

    Args:
        currency: a fixed ISO 4217 code; any currency when None.
        min_minor: the smallest amount, in minor units (cents for EUR).
        max_minor: the largest amount, in minor units.
    """
    codes = currencies() if currency is None else st.just(currency)
    return st.builds(Money.from_minor, st.integers(min_minor, max_minor), codes)


def timezones() -> SearchStrategy[str]:
    """Draw an IANA time zone name that pendulum knows."""
    return st.sampled_from(sorted(pendulum.timezones()))


def _localize(naive: dt.datetime, zone: str) -> pendulum.DateTime:
    # pendulum resolves wall times that a DST change skips or repeats.
    return pendulum.instance(naive, tz=pendulum.UTC if zone == "UTC" else zone)


def aware_datetimes(
    *, min_year: int = 1990, max_year: int = 2100
) -> SearchStrategy[pendulum.DateTime]:
    """Draw timezone-aware pendulum datetimes in random zones, microseconds included.

    Args:
        min_year: the earliest year (local time).
        max_year: the latest year (local time).
    """
    naive = st.datetimes(
        min_value=dt.datetime(min_year, 1, 1),
        max_value=dt.datetime(max_year, 12, 31, 23, 59, 59, 999_999),
    )
    return st.builds(_localize, naive, timezones())


def utc_datetimes(
    *, min_year: int = 1990, max_year: int = 2100
) -> SearchStrategy[pendulum.DateTime]:
    """Draw aware pendulum datetimes in UTC, as relationkit stores them."""
    naive = st.datetimes(
        min_value=dt.datetime(min_year, 1, 1),
        max_value=dt.datetime(max_year, 12, 31, 23, 59, 59, 999_999),
    )
    return st.builds(_localize, naive, st.just("UTC"))


def durations(*, max_days: int = 36_500) -> SearchStrategy[pendulum.Duration]:
    """Draw non-negative pendulum durations, exact to the microsecond."""
    return st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=max_days)).map(
        lambda delta: pendulum.duration(
            days=delta.days, seconds=delta.seconds, microseconds=delta.microseconds
        )
    )


def _ulid(prefix: str, millis: int, randomness: int) -> str:
    value = (millis << 80) | randomness
    body = "".join(_ULID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(26)))
    return f"{prefix}_{body}"


def ids(prefix: str) -> SearchStrategy[str]:
    """Draw ids shaped like relationkit's: ``f"{prefix}_{26-character ULID}"``.

    Args:
        prefix: the type prefix (``"cus"``, ``"acc"``, ``"evt"``, ...).
    """
    return st.builds(_ulid, st.just(prefix), st.integers(0, 2**48 - 1), st.integers(0, 2**80 - 1))


def identifiers(*, max_size: int = 128) -> SearchStrategy[str]:
    """Draw host identifiers (order ids, SKUs, external ids): no spaces or control characters."""
    return st.text(st.characters(exclude_categories=("C", "Z")), min_size=1, max_size=max_size)


def emails() -> SearchStrategy[str]:
    """Draw email addresses that relationkit's email check accepts (mixed case included)."""
    local = st.text(string.ascii_letters + string.digits + "._%+-", min_size=1, max_size=24)
    label = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=20)
    tld = st.text(string.ascii_letters, min_size=2, max_size=10)
    return st.builds(
        lambda user, labels, top: f"{user}@{'.'.join(labels)}.{top}",
        local,
        st.lists(label, min_size=1, max_size=3),
        tld,
    )


def names(*, max_size: int = 200) -> SearchStrategy[str]:
    """Draw display names: no control characters, stripped, non-empty, at most ``max_size``."""
    return (
        st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=max_size)
        .map(str.strip)
        .filter(bool)
    )


def _json_values() -> SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(2**53), 2**53)
        | st.floats(allow_nan=False, allow_infinity=False)
        | _json_text(max_size=20)
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(_json_text(min_size=1, max_size=10), inner, max_size=3)
        ),
        max_leaves=6,
    )


def attributes() -> SearchStrategy[dict[str, Any]]:
    """Draw a customer's JSON custom fields (lists and dicts, never tuples)."""
    return st.dictionaries(_json_text(min_size=1, max_size=12), _json_values(), max_size=4)


def _json_text(min_size: int = 0, max_size: int = 40) -> SearchStrategy[str]:
    """Text every backend stores as given: anything but NUL."""
    return st.text(
        st.characters(exclude_characters="\x00", codec="utf-8"),
        min_size=min_size,
        max_size=max_size,
    )


def stages() -> SearchStrategy[str]:
    """Draw a stage of :data:`~relationkit.DEFAULT_STAGE_GRAPH`."""
    return st.sampled_from(DEFAULT_STAGE_GRAPH.stages)


def _short_text(max_size: int = 120) -> SearchStrategy[str]:
    return names(max_size=max_size)

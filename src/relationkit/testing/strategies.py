"""Hypothesis strategies for relationkit's values, models and events.

For relationkit's own tests and for adapter authors who want to feed their
backend realistic data. Opt-in: importing :mod:`relationkit` never imports
Hypothesis; importing this module does (``pip install hypothesis``).

Every strategy draws values that relationkit's validators accept: names are
stripped and non-empty, identifiers carry no control characters or spaces,
emails match the library's check, datetimes are timezone-aware pendulum
datetimes, money is at its currency's minor unit. Models hold their
datetimes in UTC, as the services store them.

Example:
    >>> from hypothesis import given
    >>> from relationkit.testing import strategies as rks
    >>> @given(rks.money(currency="EUR"))
    ... def test_money_is_never_negative(amount): assert amount.minor >= 0

Added in 0.1.0.
"""

from __future__ import annotations

import datetime as dt
import enum
import string
import typing
from typing import Any, TypeVar

import attrs
import pendulum
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from relationkit import events as _events
from relationkit._currencies import MINOR_UNITS
from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.interactions import Channel, Direction, Interaction
from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry
from relationkit.domain.lifecycle import DEFAULT_STAGE_GRAPH, StageChange, StageSpan
from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.domain.timeline import TimelineEntry
from relationkit.events import Event
from relationkit.money import Money

__all__ = [
    "accounts",
    "allocations",
    "attributes",
    "aware_datetimes",
    "currencies",
    "customers",
    "durations",
    "emails",
    "events",
    "identifiers",
    "ids",
    "interactions",
    "ledger_entries",
    "line_items",
    "models",
    "money",
    "names",
    "purchases",
    "refunds",
    "stage_changes",
    "stage_spans",
    "stages",
    "timeline_entries",
    "timezones",
    "utc_datetimes",
]

T = TypeVar("T")

_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TIMELINE_KINDS = ("stage", "interaction", "purchase", "refund", "points")
_TIERS = ("bronze", "silver", "gold", "platinum")
_CUSTOMER_FIELDS = ("attributes", "email", "external_id", "name", "role")


def _optional(strategy: SearchStrategy[T]) -> SearchStrategy[T | None]:
    return st.none() | strategy


# -- values --------------------------------------------------------------------


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


# -- models --------------------------------------------------------------------


def line_items(currency: str | None = None) -> SearchStrategy[LineItem]:
    """Draw order lines; all in ``currency`` when given."""
    return st.builds(
        LineItem,
        sku=identifiers(max_size=64),
        quantity=st.integers(1, 10_000),
        unit_price=money(currency, max_minor=10**9),
        category=_optional(identifiers(max_size=64)),
    )


def accounts() -> SearchStrategy[Account]:
    """Draw accounts of either kind, in a stage of the default graph."""
    return st.builds(
        Account,
        id=ids("acc"),
        name=names(),
        kind=st.sampled_from(AccountKind),
        stage=stages(),
        stage_since=utc_datetimes(),
        created_at=utc_datetimes(),
        version=st.integers(0, 2**31 - 1),
        tier=_optional(st.sampled_from(_TIERS)),
    )


def customers() -> SearchStrategy[Customer]:
    """Draw customers with optional email, name, external id, role and attributes."""
    return st.builds(
        Customer,
        id=ids("cus"),
        account_id=ids("acc"),
        email=_optional(emails()),
        name=_optional(names()),
        external_id=_optional(identifiers()),
        role=_optional(names(max_size=64)),
        attributes=attributes(),
        created_at=utc_datetimes(),
        updated_at=utc_datetimes(),
    )


def stage_changes() -> SearchStrategy[StageChange]:
    """Draw stage changes (``from_stage`` None for a first stage)."""
    return st.builds(
        StageChange,
        account_id=ids("acc"),
        from_stage=_optional(stages()),
        to_stage=stages(),
        at=utc_datetimes(),
        reason=_optional(_short_text()),
        automatic=st.booleans(),
    )


@st.composite
def _stage_span(draw: st.DrawFn) -> StageSpan:
    entered = draw(utc_datetimes(max_year=2090))
    spent = draw(durations(max_days=3_650))
    left = draw(st.booleans())
    return StageSpan(
        stage=draw(stages()),
        entered=entered,
        left=entered + spent if left else None,
        duration=spent,
    )


def stage_spans() -> SearchStrategy[StageSpan]:
    """Draw stage spans whose ``duration`` is ``left - entered`` when closed."""
    return _stage_span()


def interactions() -> SearchStrategy[Interaction]:
    """Draw interactions on any channel and direction."""
    return st.builds(
        Interaction,
        id=ids("int"),
        account_id=ids("acc"),
        customer_id=_optional(ids("cus")),
        channel=st.sampled_from(Channel),
        direction=st.sampled_from(Direction),
        occurred_at=utc_datetimes(),
        subject=_optional(_short_text(200)),
        notes=_optional(st.text(max_size=300)),
        outcome=_optional(_short_text(100)),
        recorded_at=utc_datetimes(),
    )


def refunds(currency: str | None = None, order_id: str | None = None) -> SearchStrategy[Refund]:
    """Draw refunds of a positive amount; in ``currency`` and on ``order_id`` when given."""
    return st.builds(
        Refund,
        refund_id=identifiers(),
        order_id=identifiers() if order_id is None else st.just(order_id),
        amount=money(currency, min_minor=1),
        occurred_at=utc_datetimes(),
        reason=_optional(_short_text()),
        recorded_at=utc_datetimes(),
    )


def _purchase_in(currency: str, order_id: str) -> SearchStrategy[Purchase]:
    return st.builds(
        Purchase,
        id=ids("pur"),
        order_id=st.just(order_id),
        account_id=ids("acc"),
        customer_id=ids("cus"),
        occurred_at=utc_datetimes(),
        total=money(currency),
        lines=st.lists(line_items(currency), max_size=4).map(tuple),
        points_used=st.integers(0, 10**6),
        recorded_at=utc_datetimes(),
        refunds=st.lists(refunds(currency, order_id), max_size=2).map(tuple),
    )


def purchases(currency: str | None = None) -> SearchStrategy[Purchase]:
    """Draw purchases with lines and refunds in the total's currency, on one order id."""
    codes = currencies() if currency is None else st.just(currency)
    return st.tuples(codes, identifiers()).flatmap(lambda pair: _purchase_in(*pair))


def allocations() -> SearchStrategy[Allocation]:
    """Draw the part of a debit taken from one lot."""
    return st.builds(Allocation, lot_id=ids("led"), points=st.integers(1, 10**9))


def ledger_entries() -> SearchStrategy[LedgerEntry]:
    """Draw ledger entries of any kind (shape only: the ledger's rules are not applied)."""
    return st.builds(
        LedgerEntry,
        id=ids("led"),
        account_id=ids("acc"),
        seq=st.integers(1, 10**9),
        kind=st.sampled_from(EntryKind),
        points=st.integers(-(10**9), 10**9),
        at=utc_datetimes(),
        recorded_at=utc_datetimes(),
        lot_id=_optional(ids("led")),
        expires_at=_optional(utc_datetimes()),
        available_at=_optional(utc_datetimes()),
        source=_optional(identifiers()),
        reason=_optional(_short_text()),
        idempotency_key=_optional(identifiers()),
        allocations=st.lists(allocations(), max_size=3).map(tuple),
        debt=st.integers(0, 10**9),
    )


def timeline_entries() -> SearchStrategy[TimelineEntry]:
    """Draw timeline lines of every kind."""
    return st.builds(
        TimelineEntry,
        at=utc_datetimes(),
        kind=st.sampled_from(_TIMELINE_KINDS),
        ref=identifiers(),
        summary=_short_text(200),
        customer_id=_optional(ids("cus")),
    )


def models() -> SearchStrategy[Any]:
    """Draw any model: account, customer, stage change or span, interaction, ..."""
    return st.one_of(
        accounts(),
        customers(),
        stage_changes(),
        stage_spans(),
        interactions(),
        line_items(),
        purchases(),
        refunds(),
        ledger_entries(),
        allocations(),
        timeline_entries(),
    )


# -- events --------------------------------------------------------------------


def _event_fields() -> dict[str, SearchStrategy[Any]]:
    """Strategies for event fields, by field name (None is added for optional ones)."""
    return {
        "event_id": ids("evt"),
        "occurred_at": utc_datetimes(),
        "aggregate_id": ids("acc"),
        "sequence": st.integers(1, 2**31 - 1),
        "kind": st.sampled_from([kind.value for kind in AccountKind]),
        "name": names(),
        "customer_id": ids("cus"),
        "external_id": identifiers(),
        "role": names(max_size=64),
        "fields": st.lists(st.sampled_from(_CUSTOMER_FIELDS), min_size=1, unique=True).map(
            lambda chosen: tuple(sorted(chosen))
        ),
        "from_stage": stages(),
        "to_stage": stages(),
        "reason": _short_text(),
        "automatic": st.booleans(),
        "interaction_id": ids("int"),
        "channel": st.sampled_from(Channel),
        "order_id": identifiers(),
        "purchase_id": ids("pur"),
        "total": money(),
        "purchased_at": utc_datetimes(),
        "refund_id": identifiers(),
        "amount": money(min_minor=1),
        "points": st.integers(1, 10**9),
        "entry_id": ids("led"),
        "source": identifiers(),
        "available_at": utc_datetimes(),
        "lot_id": ids("led"),
        "idempotency_key": identifiers(),
        "credit": st.booleans(),
        "old_tier": st.sampled_from(_TIERS),
        "new_tier": st.sampled_from(_TIERS),
    }


def _for_type(tp: Any) -> SearchStrategy[Any] | None:
    """Return a strategy for a field type no name-based rule covers, or None."""
    simple: dict[Any, SearchStrategy[Any]] = {
        str: identifiers(max_size=64),
        int: st.integers(0, 2**31 - 1),
        bool: st.booleans(),
        Money: money(),
        pendulum.DateTime: utc_datetimes(),
        pendulum.Duration: durations(),
    }
    if tp in simple:
        return simple[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(tp)
    args = typing.get_args(tp)
    if typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _for_type(args[0])
        return None if item is None else st.lists(item, max_size=3).map(tuple)
    return None


def _event_of(cls: type[Event]) -> SearchStrategy[Event]:
    attrs.resolve_types(cls)
    known = _event_fields()
    kwargs: dict[str, SearchStrategy[Any]] = {}
    for field in attrs.fields(cls):
        optional = type(None) in typing.get_args(field.type)
        base = next((a for a in typing.get_args(field.type) if a is not type(None)), None)
        if field.name in known:
            strategy: SearchStrategy[Any] | None = known[field.name]
        else:
            strategy = _for_type(base if optional else field.type)
        if strategy is None:
            raise LookupError(f"no strategy for {cls.__name__}.{field.name}; add one")
        kwargs[field.name] = _optional(strategy) if optional else strategy
    return st.builds(cls, **kwargs)


def events(cls: type[Event] | None = None) -> SearchStrategy[Event]:
    """Draw events of ``cls``, or of any class in :mod:`relationkit.events`.

    Args:
        cls: an event class (a concrete one such as ``PurchaseRecorded``, or a
            base such as ``Event``, which is then drawn as itself).

    Raises:
        LookupError: if an event field has neither a rule for its name here
            nor a simple type (str, int, bool, Money, datetime, enum, ...).
    """
    if cls is not None:
        return _event_of(cls)
    return st.one_of([_event_of(getattr(_events, name)) for name in _events.__all__])

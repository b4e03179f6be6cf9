"""Strategies for relationkit's events, field by field from each event class."""

from __future__ import annotations

import enum
import typing
from typing import Any

import attrs
import pendulum
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from relationkit import events as _events
from relationkit.domain.customers import AccountKind
from relationkit.domain.interactions import Channel
from relationkit.events import Event
from relationkit.money import Money
from relationkit.testing.strategies._values import (
    _TIERS,
    _optional,
    _short_text,
    durations,
    identifiers,
    ids,
    money,
    names,
    stages,
    utc_datetimes,
)

_CUSTOMER_FIELDS = ("attributes", "email", "external_id", "name", "role")


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

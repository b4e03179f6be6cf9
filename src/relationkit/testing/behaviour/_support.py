"""Helpers of the behaviour tests (not public)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pendulum

import relationkit as rk
from relationkit.domain.purchases import LineItem, Purchase
from relationkit.events import Event
from relationkit.money import Money
from relationkit.testing.base import T0, eur

__all__ = ["buy", "is_aware_utc", "sequences"]

_ZERO = dt.timedelta(0)


def buy(
    kit: rk.RelationKit,
    customer_id: str,
    order_id: str,
    total: Money | str = "59.90",
    *,
    at: pendulum.DateTime = T0,
    lines: Sequence[LineItem] = (),
) -> Purchase:
    """Record an order of ``total`` (EUR when a string) at ``at``."""
    money = total if isinstance(total, Money) else eur(total)
    return kit.purchases.record(
        order_id=order_id, customer_id=customer_id, occurred_at=at, total=money, lines=lines
    )


def sequences(events: Sequence[Event], aggregate_id: str) -> list[int]:
    """Return the sequence numbers of one aggregate's events, in dispatch order."""
    return [e.sequence for e in events if e.aggregate_id == aggregate_id]


def is_aware_utc(value: object) -> bool:
    """Return whether ``value`` is a pendulum datetime in UTC."""
    return (
        isinstance(value, pendulum.DateTime)
        and value.tzinfo is not None
        and value.utcoffset() == _ZERO
    )

"""What the analytics tests share: loading a drawn history, and the rules worked out apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar
from zoneinfo import ZoneInfo

import pendulum
from hypothesis import HealthCheck, settings

import relationkit as rk
from relationkit._currencies import MINOR_UNITS
from relationkit.money import Money
from relationkit.storage.ports import Storage
from relationkit.testing.base import T0, SuiteBase
from relationkit.testing.strategies._histories import PurchaseHistory

__all__ = ["AnalyticsBase", "Days", "as_of_day", "expected_days", "load", "scale", "utc"]

Days = dict[dt.date, int]
"""An account's transactions: local day -> net value in minor units."""


class AnalyticsBase(SuiteBase):
    """A fresh store per Hypothesis example, sized to stay quick."""

    analytics_settings: ClassVar[settings] = settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        database=None,
    )
    """How many histories each property test draws; override per backend."""

    @contextmanager
    def history_kit(self, history: PurchaseHistory) -> Iterator[tuple[rk.RelationKit, list[str]]]:
        """Yield a kit over a fresh store holding ``history``, and its account ids."""
        store = self.make_storage()
        try:
            kit = rk.open(storage=store, clock=rk.FrozenClock(T0), timezone=history.zone)
            yield kit, load(kit, history)
        finally:
            self.dispose_storage(store)

    @contextmanager
    def fresh(self, zone: str) -> Iterator[rk.RelationKit]:
        """Yield a kit in ``zone`` over a fresh, empty store."""
        store: Storage = self.make_storage()
        try:
            yield rk.open(storage=store, clock=rk.FrozenClock(T0), timezone=zone)
        finally:
            self.dispose_storage(store)


def load(kit: rk.RelationKit, history: PurchaseHistory) -> list[str]:
    """Record ``history`` through ``kit``; return the account ids by history index."""
    with kit.transaction():
        people = [kit.customers.create(name=f"Customer {i}") for i in range(history.accounts)]
        for n, order in enumerate(history.orders):
            kit.purchases.record(
                order_id=f"o{n}",
                customer_id=people[order.account].id,
                occurred_at=order.occurred_at,
                total=order.total,
            )
            for k, (minor, when) in enumerate(order.refunds):
                kit.purchases.refund(
                    f"o{n}",
                    refund_id=f"r{n}-{k}",
                    amount=Money.from_minor(minor, order.total.currency),
                    occurred_at=when,
                )
    return [p.account_id for p in people]


def expected_days(history: PurchaseHistory, currency: str) -> dict[int, Days]:
    """Each account's transactions by the documented rules, worked out without the kit.

    Orders in ``currency`` within ``since <= occurred_at <= as_of`` count, at
    their total less the refunds made by ``as_of``; an order refunded in full
    does not count; orders are grouped by their day in the zone (through
    :mod:`zoneinfo`, not the library's own conversion).
    """
    zone = ZoneInfo(history.zone)
    found: dict[int, Days] = {}
    for order in history.orders:
        when = order.occurred_at
        if order.total.currency != currency or when > history.as_of:
            continue
        if history.since is not None and when < history.since:
            continue
        refunded = sum(minor for minor, at in order.refunds if at <= history.as_of)
        if refunded and refunded >= order.total.minor:
            continue
        day = dt.datetime.fromtimestamp(when.timestamp(), tz=zone).date()
        days = found.setdefault(order.account, {})
        days[day] = days.get(day, 0) + order.total.minor - refunded
    return found


def as_of_day(history: PurchaseHistory) -> dt.date:
    """The local day of the history's ``as_of``."""
    return dt.datetime.fromtimestamp(history.as_of.timestamp(), tz=ZoneInfo(history.zone)).date()


def scale(currency: str) -> int:
    """Minor units per major unit of ``currency``."""
    return int(10 ** MINOR_UNITS[currency])


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> pendulum.DateTime:
    """An instant in UTC."""
    return pendulum.datetime(year, month, day, hour, minute, tz="UTC")

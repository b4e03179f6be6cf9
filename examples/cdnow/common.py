"""What every part of the demo shares: the currency, the clock, timing and printing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import pendulum

import relationkit as rk

CURRENCY = "USD"
END_OF_DATA = pendulum.datetime(1998, 7, 1, tz="UTC")
"""The kit's frozen clock: the day after the last CDNOW purchase."""


class SpendRow(Protocol):
    """What ``kit.purchases.top_spenders`` returns per account (its type is not public)."""

    @property
    def account_id(self) -> str: ...

    @property
    def net_minor(self) -> int: ...

    @property
    def orders(self) -> int: ...


@dataclass
class Phases:
    """How long each phase of the demo took, in the order they ran."""

    seconds: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Time the block as phase ``name`` (a repeated name adds up)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    @property
    def total(self) -> float:
        """Seconds since the demo started."""
        return time.perf_counter() - self.started


def heading(title: str) -> None:
    """Print a section title, underlined."""
    print(f"\n{title}\n{'-' * len(title)}")


def money(value: rk.Money) -> str:
    """Format an amount with thousands separators and its currency."""
    return f"{value.amount:,.2f} {value.currency}"


def usd(minor: int) -> str:
    """Format an amount of :data:`CURRENCY` given in minor units."""
    return money(rk.Money.from_minor(minor, CURRENCY))


def external_id(kit: rk.RelationKit, account_id: str) -> str:
    """Return the shop's id of a B2C account's customer."""
    contacts = kit.accounts.contacts(account_id)
    return (contacts[0].external_id or contacts[0].id) if contacts else account_id

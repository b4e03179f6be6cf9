"""Fixtures of the unit tests: a kit over memory at a frozen instant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import relationkit as rk
from relationkit.events import Event
from relationkit.testing.base import T0


@pytest.fixture
def clock() -> rk.FrozenClock:
    """A frozen clock at T0."""
    return rk.FrozenClock(T0)


@pytest.fixture
def kit(clock: rk.FrozenClock) -> Iterator[rk.RelationKit]:
    """A kit over memory: these rules never reach the store."""
    kit = rk.open(clock=clock)
    yield kit
    kit.close()


@pytest.fixture
def events(kit: rk.RelationKit) -> list[Event]:
    """Every event the kit dispatches, in dispatch order."""
    seen: list[Event] = []
    kit.hooks.on(Event, seen.append)
    return seen

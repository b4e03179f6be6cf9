"""Loyalty input validation: bad input raises ValidationError naming the field.

Moved from the shipped loyalty suite (``relationkit.testing``), which ran it
again on every backend; it runs once here, over memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import relationkit as rk
from relationkit.domain.ledger import EntryKind
from relationkit.errors import ValidationError
from relationkit.testing.base import OpenKit
from relationkit.testing.loyalty._support import PLAIN, buy, kinds, member, verified


@pytest.fixture
def open_kit(clock: rk.FrozenClock) -> Iterator[OpenKit]:
    """A factory of kits over memory under a program."""
    kits: list[rk.RelationKit] = []

    def factory(program: rk.LoyaltyProgram, *, timezone: str = "UTC") -> rk.RelationKit:
        kit = rk.open(clock=clock, loyalty=program, timezone=timezone)
        kits.append(kit)
        return kit

    yield factory
    for kit in kits:
        kit.close()


_BAD_POINTS: list[object] = [0, -5, True, 2.5, "10", None]
_BAD_KEYS: list[object] = ["", "   ", None, 5, "x" * 129]


@pytest.mark.parametrize("points", _BAD_POINTS, ids=repr)
def test_bad_points_are_rejected(open_kit: OpenKit, points: Any) -> None:
    """Zero, negative, boolean, float, string and missing points are rejected by earn
    and redeem (adjust accepts negatives only); the key stays free."""
    kit = open_kit(PLAIN)
    alice = member(kit)
    fields = []

    calls: list[Callable[[], object]] = [
        lambda: kit.loyalty.earn(alice, points, idempotency_key="k"),
        lambda: kit.loyalty.redeem(alice, points, idempotency_key="k"),
    ]
    if points != -5:
        calls.append(lambda: kit.loyalty.adjust(alice, points, idempotency_key="k", reason="x"))
    for call in calls:
        with pytest.raises(ValidationError) as caught:
            call()
        fields.append(caught.value.field)
    kit.loyalty.earn(alice, 1, idempotency_key="k")

    assert ["points"] * len(calls) == fields
    assert [(EntryKind.EARN, 1)] == kinds(kit, alice)
    verified(kit)


@pytest.mark.parametrize("key", _BAD_KEYS, ids=lambda key: repr(key)[:12])
def test_bad_keys_are_rejected(open_kit: OpenKit, key: Any) -> None:
    """An empty, blank, missing, non-string or over-long key is rejected."""
    kit = open_kit(PLAIN)
    alice = member(kit)
    fields = []

    calls: list[Callable[[], object]] = [
        lambda: kit.loyalty.earn(alice, 10, idempotency_key=key),
        lambda: kit.loyalty.redeem(alice, 10, idempotency_key=key),
        lambda: kit.loyalty.adjust(alice, 10, idempotency_key=key, reason="x"),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as caught:
            call()
        fields.append(caught.value.field)

    assert (["idempotency_key"] * 3, []) == (fields, kit.loyalty.history(alice))
    verified(kit)


def test_reason_and_points_used_are_checked(open_kit: OpenKit) -> None:
    """adjust needs a reason; points_used must be a non-negative integer."""
    kit = open_kit(PLAIN)
    alice = member(kit)
    fields = []

    calls: list[Callable[[], object]] = [
        lambda: kit.loyalty.adjust(alice, 5, idempotency_key="k", reason=" "),
        lambda: buy(kit, alice, "o1", points_used=-1),
        lambda: buy(kit, alice, "o1", points_used=True),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as caught:
            call()
        fields.append(caught.value.field)

    assert ["reason", "points_used", "points_used"] == fields
    assert ([], 0) == (kit.loyalty.history(alice), kit.purchases.count())
    verified(kit)


def test_bad_programs_are_rejected(open_kit: OpenKit) -> None:
    """Programs are validated when built; configure() takes only a LoyaltyProgram."""
    kit = open_kit(PLAIN)
    fields = []

    builds: list[Callable[[], object]] = [
        lambda: rk.LoyaltyProgram(currency="EUR", pending_days=-1),
        lambda: rk.LoyaltyProgram(currency="XXX1"),
        lambda: rk.LoyaltyProgram(currency="EUR", timezone="Mars/Olympus"),
        lambda: rk.LoyaltyProgram(currency="EUR", points_per_unit=1.5),
        lambda: rk.Tier("gold", -1),
        lambda: rk.Expiry.after_days(0),
        lambda: kit.loyalty.configure("gold"),  # type: ignore[arg-type]
    ]
    for build in builds:
        with pytest.raises(ValidationError) as caught:
            build()
        fields.append(caught.value.field)

    assert [
        "pending_days",
        "currency",
        "timezone",
        "points_per_unit",
        "tier.threshold",
        "expiry",
        "program",
    ] == fields
    assert PLAIN == kit.loyalty.program

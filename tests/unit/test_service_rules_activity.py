"""Service rules of interactions, purchases, ids and events that never reach the store.

Moved from the shipped contract suite (``relationkit.testing``), which ran
them again on every backend; they run once here, over memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

import relationkit as rk
from relationkit.errors import ValidationError
from relationkit.events import Event, PurchaseRecorded, PurchaseRefunded
from relationkit.money import Money
from relationkit.testing.base import T0, eur
from relationkit.testing.behaviour._support import buy


def test_interaction_defaults_to_the_clock(kit: rk.RelationKit) -> None:
    """Without occurred_at, an interaction happened at the kit's clock time."""
    acme = kit.accounts.create(name="ACME")

    logged = kit.interactions.log(acme.id, channel="phone", direction="inbound")

    assert (T0, None) == (logged.occurred_at, logged.customer_id)


def test_naive_datetime_is_rejected(kit: rk.RelationKit) -> None:
    """A naive occurred_at raises ValidationError naming it, logging nothing."""
    alice = kit.customers.create(name="Alice")

    with pytest.raises(ValidationError) as caught:
        kit.interactions.log(
            alice.id,
            channel=rk.Channel.EMAIL,
            direction=rk.Direction.OUTBOUND,
            occurred_at=dt.datetime(2026, 1, 1, 12, 0),  # type: ignore[arg-type]
        )

    assert ("occurred_at", []) == (caught.value.field, kit.interactions.history(alice.id))


def test_nul_character_in_notes_is_a_validation_error(kit: rk.RelationKit) -> None:
    """Notes holding a NUL character are rejected up front, the same on every backend."""
    alice = kit.customers.create(name="Alice")

    with pytest.raises(ValidationError) as caught:
        kit.interactions.log(alice.id, channel="email", direction="inbound", notes="a\x00")

    assert ("notes", []) == (caught.value.field, kit.interactions.history(alice.id))


def test_unknown_channel_is_rejected(kit: rk.RelationKit) -> None:
    """An unknown channel raises ValidationError(field="channel")."""
    alice = kit.customers.create(name="Alice")

    with pytest.raises(ValidationError) as caught:
        kit.interactions.log(alice.id, channel="pigeon", direction="inbound")

    assert "channel" == caught.value.field


def test_bad_total_names_the_field_and_writes_nothing(kit: rk.RelationKit) -> None:
    """A line in another currency is named (lines[0].unit_price); nothing is stored."""
    alice = kit.customers.create(name="Alice")

    with pytest.raises(ValidationError) as caught:
        buy(
            kit,
            alice.id,
            "1001",
            lines=[rk.LineItem(sku="X", quantity=1, unit_price=Money("10", "USD"))],
        )

    assert ("lines[0].unit_price", 0, "lead") == (
        caught.value.field,
        kit.purchases.count(),
        kit.lifecycle.stage(alice.id),
    )


def test_record_many_streams_rows_lazily(kit: rk.RelationKit) -> None:
    """record_many pulls one batch of rows at a time from a generator."""
    alice = kit.customers.create(name="Alice")
    pulled = 0
    pulled_at_batch: list[int] = []

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        for n in range(5):
            pulled += 1
            yield {
                "order_id": f"o{n}",
                "customer_id": alice.id,
                "occurred_at": T0,
                "total": eur("1.00"),
            }

    kit.purchases.record_many(
        rows(), batch_size=2, on_batch=lambda _: pulled_at_batch.append(pulled)
    )

    assert [2, 4, 5] == pulled_at_batch


def test_ids_are_prefixed_and_sort_by_creation(kit: rk.RelationKit, clock: rk.FrozenClock) -> None:
    """Ids carry their type prefix and sort in creation order, even on a frozen clock."""
    made = [kit.customers.create(name=f"C{n}") for n in range(4)]
    clock.advance(seconds=1)
    made.append(kit.customers.create(name="Later"))
    acme = kit.accounts.create(name="ACME")
    note = kit.interactions.log(acme.id, channel="web", direction="inbound")
    order = buy(kit, made[0].id, "1")

    ids = [c.id for c in made]
    assert (sorted(ids), len(ids)) == (ids, len(set(ids)))
    assert ("acc_", "int_", "pur_") == (acme.id[:4], note.id[:4], order.id[:4])
    assert all(c.id.startswith("cus_") for c in made)


def test_events_carry_the_clock_time_and_the_account(
    kit: rk.RelationKit, events: list[Event]
) -> None:
    """Events are stamped by the kit's clock and name the account they belong to."""
    alice = kit.customers.create(name="Alice")

    buy(kit, alice.id, "1001", at=T0.subtract(days=3))
    kit.purchases.refund("1001", refund_id="r", amount=eur("1.00"))

    purchase = next(e for e in events if isinstance(e, PurchaseRecorded))
    refund = next(e for e in events if isinstance(e, PurchaseRefunded))
    assert {alice.account_id} == {e.aggregate_id for e in events}
    assert {T0} == {e.occurred_at for e in events}
    assert (T0.subtract(days=3), eur("1.00")) == (purchase.purchased_at, refund.amount)

"""Behaviour: data that survives closing the store, and other handles over it."""

from __future__ import annotations

from collections.abc import Callable

import relationkit as rk
from relationkit.events import Event
from relationkit.storage.ports import Storage
from relationkit.testing.base import SuiteBase, eur
from relationkit.testing.behaviour._support import buy
from relationkit.testing.requirements import requires

__all__ = ["PersistenceBehaviour"]


class PersistenceBehaviour(SuiteBase):
    """Re-opened stores keep everything; other handles see what was committed."""

    @requires("reopen")
    def test_data_survives_close_and_reopen(
        self,
        kit: rk.RelationKit,
        storage: Storage,
        clock: rk.FrozenClock,
        second_handle: Callable[[], Storage],
    ) -> None:
        """Everything written before close() is there, equal, after re-opening."""
        alice = kit.customers.create(email="alice@example.com", name="Alice", external_id="u1")
        buy(kit, alice.id, "1001", lines=[rk.LineItem(sku="A", quantity=2, unit_price=eur("1"))])
        kit.purchases.refund("1001", refund_id="r", amount=eur("0.50"))
        before = (kit.customers.get(alice.id), kit.purchases.get("1001"), kit.timeline(alice.id))
        kit.close()
        storage.close()

        with rk.open(storage=second_handle(), clock=clock) as reopened:
            after = (
                reopened.customers.get_by_email("alice@example.com"),
                reopened.purchases.get("1001"),
                reopened.timeline(alice.id),
            )

        assert before == after

    @requires("reopen")
    def test_sequences_continue_after_reopen(
        self,
        kit: rk.RelationKit,
        storage: Storage,
        clock: rk.FrozenClock,
        second_handle: Callable[[], Storage],
    ) -> None:
        """An account's event numbers continue after the store is closed and re-opened."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "1001")
        kit.close()
        storage.close()
        seen: list[Event] = []

        with rk.open(storage=second_handle(), clock=clock) as reopened:
            reopened.hooks.on(Event, seen.append)
            reopened.interactions.log(alice.id, channel="email", direction="outbound")

        assert [6] == [e.sequence for e in seen]

    @requires("second_handle")
    def test_commit_is_visible_to_another_handle(
        self,
        kit: rk.RelationKit,
        clock: rk.FrozenClock,
        second_handle: Callable[[], Storage],
    ) -> None:
        """What one handle commits, another handle reads."""
        other = rk.open(storage=second_handle(), clock=clock)
        alice = kit.customers.create(name="Alice")

        assert alice == other.customers.get(alice.id)
        other.close()

"""Behaviour: hooks run after the commit, and a failing one undoes nothing."""

from __future__ import annotations

import pytest

import relationkit as rk
from relationkit.errors import IdempotencyConflict
from relationkit.events import Event
from relationkit.storage.ports import Storage
from relationkit.testing.base import SuiteBase
from relationkit.testing.behaviour._support import buy

__all__ = ["HookBehaviour"]


class HookBehaviour(SuiteBase):
    """Hooks run after commit, see committed data, and never for failed work."""

    def test_handler_sees_committed_data(self, kit: rk.RelationKit, storage: Storage) -> None:
        """A PurchaseRecorded handler can read the purchase in a fresh transaction."""
        alice = kit.customers.create(name="Alice")
        found: list[str | None] = []

        @kit.hooks.on(rk.events.PurchaseRecorded)
        def check(event: rk.events.PurchaseRecorded) -> None:
            with storage.transaction(write=False) as uow:
                stored = uow.purchases.get_many([event.order_id]).get(event.order_id)
            found.append(stored.order_id if stored else None)

        buy(kit, alice.id, "1001")

        assert ["1001"] == found

    def test_failed_operation_fires_nothing(self, kit: rk.RelationKit, events: list[Event]) -> None:
        """An operation that raises (a conflicting replay) dispatches no event."""
        alice = kit.customers.create(name="Alice")
        buy(kit, alice.id, "1001")
        seen = len(events)

        with pytest.raises(IdempotencyConflict):
            buy(kit, alice.id, "1001", "1.00")

        assert seen == len(events)

    def test_failing_handler_does_not_undo_the_commit(self, kit: rk.RelationKit) -> None:
        """A handler that raises surfaces as HookError; the purchase stays recorded."""
        alice = kit.customers.create(name="Alice")

        def broken(event: rk.events.PurchaseRecorded) -> None:
            raise RuntimeError("mail server down")

        kit.hooks.on(rk.events.PurchaseRecorded, broken)

        with pytest.raises(rk.errors.HookError):
            buy(kit, alice.id, "1001")

        assert "1001" == kit.purchases.get("1001").order_id

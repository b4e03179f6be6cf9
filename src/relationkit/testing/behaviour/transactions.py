"""Behaviour: ``kit.transaction()`` blocks: atomic, nested, hooks at the end."""

from __future__ import annotations

import pytest

import relationkit as rk
from relationkit.errors import Conflict
from relationkit.events import (
    AccountCreated,
    CustomerCreated,
    Event,
    InteractionLogged,
    PurchaseRecorded,
    StageChanged,
)
from relationkit.testing.base import Boom, SuiteBase
from relationkit.testing.behaviour._support import buy
from relationkit.testing.requirements import requires

__all__ = ["TransactionBehaviour"]


class TransactionBehaviour(SuiteBase):
    """kit.transaction(): all or nothing; a nested failure undoes only itself."""

    def test_rolled_back_transaction_fires_nothing_and_writes_nothing(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Work inside kit.transaction() that ends in an exception is undone, unheard."""

        def work() -> None:
            with kit.transaction():
                alice = kit.customers.create(email="alice@example.com", name="Alice")
                buy(kit, alice.id, "1001")
                raise Boom

        with pytest.raises(Boom):
            work()

        assert ([], 0, 0) == (events, kit.customers.count(), kit.purchases.count())

    def test_transaction_fires_hooks_once_after_the_block(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """Inside kit.transaction() no handler runs; at its end, all events run in order."""
        during: list[int] = []
        with kit.transaction():
            alice = kit.customers.create(name="Alice")
            buy(kit, alice.id, "1001")
            during.append(len(events))

        assert [0] == during
        assert [
            AccountCreated,
            StageChanged,
            CustomerCreated,
            PurchaseRecorded,
            StageChanged,
        ] == [type(e) for e in events]

    @requires("savepoints")
    def test_nested_failure_rolls_back_only_the_inner_block(
        self, kit: rk.RelationKit, events: list[Event]
    ) -> None:
        """A failing nested block is undone alone; the outer work commits, gap-free."""

        def inner(customer_id: str) -> None:
            with kit.transaction():
                buy(kit, customer_id, "1001")
                raise Boom

        with kit.transaction():
            alice = kit.customers.create(name="Alice")
            with pytest.raises(Boom):
                inner(alice.id)
            kit.interactions.log(alice.id, channel="email", direction="outbound")

        assert (0, "lead", 1) == (
            kit.purchases.count(),
            kit.lifecycle.stage(alice.id),
            len(kit.interactions.history(alice.id)),
        )
        assert [
            (AccountCreated, 1),
            (StageChanged, 2),
            (CustomerCreated, 3),
            (InteractionLogged, 4),
        ] == [(type(e), e.sequence) for e in events]

    @requires("savepoints")
    def test_failed_operation_inside_a_transaction_undoes_only_itself(
        self, kit: rk.RelationKit
    ) -> None:
        """An operation raising inside kit.transaction() leaves the rest of the block."""
        with kit.transaction():
            alice = kit.customers.create(email="alice@example.com", name="Alice")
            with pytest.raises(Conflict):
                kit.customers.create(email="alice@example.com", name="Again")
            buy(kit, alice.id, "1001")

        assert (1, 1) == (kit.customers.count(), kit.purchases.count())

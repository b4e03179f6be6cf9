"""Port tests: the append-only histories (``uow.stages`` and ``uow.interactions``)."""

from __future__ import annotations

import pytest

from relationkit.domain.lifecycle import StageChange
from relationkit.errors import DanglingReference, DuplicateKey
from relationkit.storage.ports import Storage
from relationkit.testing.base import T0, SuiteBase
from relationkit.testing.port.records import account, interaction, stage_change

__all__ = ["HistoryPort"]


class HistoryPort(SuiteBase):
    """Stage changes and interactions: appended, listed in time order, never orphaned."""

    def test_stage_history_is_oldest_first(self, storage: Storage) -> None:
        """stages.for_account() returns changes in the order they were appended."""
        changes = [
            StageChange(account_id="acc_1", from_stage=None, to_stage="lead", at=T0),
            StageChange(
                account_id="acc_1", from_stage="lead", to_stage="customer", at=T0, automatic=True
            ),
            StageChange(
                account_id="acc_1",
                from_stage="customer",
                to_stage="loyal",
                at=T0.add(days=1),
                reason="ten orders",
            ),
        ]
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            uow.stages.add_many(changes[:2])
        with storage.transaction(write=True) as uow:
            uow.stages.add_many(changes[2:])

        with storage.transaction(write=False) as uow:
            assert changes == uow.stages.for_account("acc_1")

    def test_stage_change_of_an_unknown_account_is_a_dangling_reference(
        self, storage: Storage
    ) -> None:
        """Appending a stage change for an unknown account raises DanglingReference."""
        with pytest.raises(DanglingReference) as caught, storage.transaction(write=True) as uow:
            uow.stages.add_many([stage_change("acc_404")])

        with storage.transaction(write=False) as uow:
            assert ("account_id", []) == (caught.value.field, uow.stages.for_account("acc_404"))

    def test_interactions_in_occurred_at_then_id_order(self, storage: Storage) -> None:
        """interactions.for_account() orders by occurred_at, ties broken by id."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            for interaction_id, hours in (("int_4", 1), ("int_2", 2), ("int_3", 1), ("int_1", 3)):
                uow.interactions.add(interaction(interaction_id, "acc_1", T0.add(hours=hours)))

        with storage.transaction(write=False) as uow:
            assert ["int_3", "int_4", "int_2", "int_1"] == [
                i.id for i in uow.interactions.for_account("acc_1")
            ]

    def test_duplicate_interaction_id_raises_duplicate_key(self, storage: Storage) -> None:
        """Adding an interaction whose id is stored raises DuplicateKey("interaction_id")."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            uow.interactions.add(interaction("int_1", "acc_1"))

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.interactions.add(interaction("int_1", "acc_1"))

        assert "interaction_id" == caught.value.constraint

    def test_interaction_of_an_unknown_account_is_a_dangling_reference(
        self, storage: Storage
    ) -> None:
        """Adding an interaction for an unknown account raises DanglingReference."""
        with pytest.raises(DanglingReference) as caught, storage.transaction(write=True) as uow:
            uow.interactions.add(interaction("int_1", "acc_404"))

        assert "account_id" == caught.value.field

"""Port tests: savepoints, for adapters declaring ``Requirements(savepoints=True)``."""

from __future__ import annotations

import pytest

from relationkit.errors import DuplicateKey
from relationkit.storage.ports import Savepoints, Storage, UnitOfWork
from relationkit.testing.base import Boom, SuiteBase
from relationkit.testing.port.records import account, customer, seed
from relationkit.testing.requirements import requires

__all__ = ["SavepointPort"]


def _savepoints(uow: UnitOfWork) -> Savepoints:
    assert isinstance(uow, Savepoints), "the unit of work does not implement Savepoints"
    return uow


class SavepointPort(SuiteBase):
    """``Savepoints.savepoint()``: an exception undoes only what the savepoint wrote."""

    def test_declared_savepoints_match_the_unit_of_work(self, storage: Storage) -> None:
        """Requirements(savepoints=...) says whether the unit of work implements Savepoints."""
        with storage.transaction(write=False) as uow:
            implemented = isinstance(uow, Savepoints)

        assert self.requirements.savepoints == implemented

    @requires("savepoints")
    def test_savepoint_undoes_only_its_own_writes(self, storage: Storage) -> None:
        """A failing savepoint undoes what it wrote; the enclosing transaction commits."""

        def failing(uow: UnitOfWork) -> None:
            with _savepoints(uow).savepoint():
                uow.accounts.add_many([account("acc_2")])
                uow.accounts.update_many([account("acc_1", stage="churned")])
                raise Boom

        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            with pytest.raises(Boom):
                failing(uow)
            uow.accounts.add_many([account("acc_3")])

        with storage.transaction(write=False) as uow:
            assert ["acc_1", "acc_3"] == uow.accounts.ids()
            assert "lead" == uow.accounts.get_many(["acc_1"])["acc_1"].stage

    @requires("savepoints")
    def test_nested_savepoints(self, storage: Storage) -> None:
        """An inner savepoint's failure keeps the outer savepoint's writes."""

        def failing(uow: UnitOfWork) -> None:
            with _savepoints(uow).savepoint():
                uow.accounts.add_many([account("acc_2")])
                raise Boom

        with storage.transaction(write=True) as uow, _savepoints(uow).savepoint():
            uow.accounts.add_many([account("acc_1")])
            with pytest.raises(Boom):
                failing(uow)

        with storage.transaction(write=False) as uow:
            assert ["acc_1"] == uow.accounts.ids()

    @requires("savepoints")
    def test_duplicate_key_in_a_savepoint_keeps_the_transaction(self, storage: Storage) -> None:
        """A DuplicateKey caught at a savepoint leaves the transaction usable."""
        with storage.transaction(write=True) as uow:
            seed(uow)
            with pytest.raises(DuplicateKey), _savepoints(uow).savepoint():
                uow.customers.add_many([customer("cus_2", "acc_1", external_id="x1")])
            uow.accounts.add_many([account("acc_2")])

        with storage.transaction(write=False) as uow:
            assert ["acc_1", "acc_2"] == uow.accounts.ids()

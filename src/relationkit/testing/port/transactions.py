"""Port tests: transactions commit, roll back, and readers see committed data only."""

from __future__ import annotations

import threading

import pytest

import relationkit as rk
from relationkit.errors import DuplicateKey, StorageError
from relationkit.storage.ports import Storage
from relationkit.testing.base import Boom, SuiteBase
from relationkit.testing.port.records import account, customer, seed

__all__ = ["TransactionPort"]


class TransactionPort(SuiteBase):
    """``Storage.transaction``: commit on normal exit, roll back on exception, then close."""

    def test_storage_meets_the_protocol(self, storage: Storage) -> None:
        """The backend is a relationkit.Storage, what rk.open(storage=...) accepts."""
        assert isinstance(storage, rk.Storage)

    def test_close_is_idempotent_and_final(self, storage: Storage) -> None:
        """close() twice is fine; a transaction afterwards raises StorageError."""
        storage.close()
        storage.close()

        with pytest.raises(StorageError), storage.transaction(write=False):
            pass

    def test_normal_exit_commits(self, storage: Storage) -> None:
        """Leaving a write transaction normally commits its writes."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])

        with storage.transaction(write=False) as uow:
            assert {"acc_1": account("acc_1")} == uow.accounts.get_many(["acc_1"])

    def test_exception_rolls_everything_back(self, storage: Storage) -> None:
        """An exception leaving a write transaction undoes all its writes."""

        def work() -> None:
            with storage.transaction(write=True) as uow:
                seed(uow)
                raise Boom

        with pytest.raises(Boom):
            work()

        with storage.transaction(write=False) as uow:
            assert ({}, {}) == (
                uow.accounts.get_many(["acc_1"]),
                uow.customers.get_many(["cus_1"]),
            )

    def test_read_transaction_sees_committed_data_only(self, storage: Storage) -> None:
        """A reader (another thread, same store) never sees a writer's uncommitted rows.

        The reader may run at once or wait for the writer to finish; if it
        finished before the commit, it saw nothing.
        """
        peeked = threading.Event()
        seen: list[list[str]] = []

        def peek() -> None:
            with storage.transaction(write=False) as uow:
                seen.append(uow.accounts.ids())
            peeked.set()

        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            reader = threading.Thread(target=peek)
            reader.start()
            finished_before_commit = peeked.wait(timeout=2.0)
        reader.join(timeout=30)

        assert (True, 1) == (peeked.is_set(), len(seen))
        if finished_before_commit:
            assert [[]] == seen
        with storage.transaction(write=False) as uow:
            assert ["acc_1"] == uow.accounts.ids()

    def test_duplicate_key_leaves_the_transaction_to_roll_back(self, storage: Storage) -> None:
        """Rows written earlier in a transaction that hits DuplicateKey are rolled back."""
        with storage.transaction(write=True) as uow:
            seed(uow)

        def work() -> None:
            with storage.transaction(write=True) as uow:
                uow.accounts.add_many([account("acc_2")])
                uow.customers.add_many([customer("cus_2", "acc_2", external_id="x1")])

        with pytest.raises(DuplicateKey):
            work()

        with storage.transaction(write=False) as uow:
            assert ["acc_1"] == uow.accounts.ids()

    def test_after_commit_runs_the_callback_once(self, storage: Storage) -> None:
        """A store that commits its own transactions runs after_commit's callback at once."""
        calls: list[str] = []
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])

        storage.after_commit(lambda: calls.append("ran"))

        assert ["ran"] == calls

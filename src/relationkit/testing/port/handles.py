"""Port tests: several handles over one store, and the write lock of ``for_update``."""

from __future__ import annotations

import threading
from collections.abc import Callable

import attrs

from relationkit.storage.ports import Storage
from relationkit.testing.base import SuiteBase
from relationkit.testing.port.records import account
from relationkit.testing.requirements import requires

__all__ = ["HandlePort"]

_WAIT = 30.0  # seconds; generous, so a slow CI machine does not fail a correct store


class HandlePort(SuiteBase):
    """What one handle commits another sees; ``for_update`` serialises writers."""

    @requires("second_handle")
    def test_uncommitted_work_is_invisible_to_another_handle(
        self, storage: Storage, second_handle: Callable[[], Storage]
    ) -> None:
        """Another handle does not see a write transaction's rows before it commits."""
        other = second_handle()
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            with other.transaction(write=False) as peek:
                during = peek.accounts.get_many(["acc_1"])
        with other.transaction(write=False) as peek:
            after = peek.accounts.get_many(["acc_1"])

        assert ({}, ["acc_1"]) == (during, list(after))

    @requires("second_handle", "concurrent_writers")
    def test_for_update_serialises_writers_of_one_account(
        self, storage: Storage, second_handle: Callable[[], Storage]
    ) -> None:
        """A writer that locks an account another handle holds waits for its commit,
        then reads the committed value: no lost update."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
        other = second_handle()
        locked = threading.Event()
        versions: list[int] = []

        def rival() -> None:
            locked.wait(_WAIT)
            with other.transaction(write=True) as uow:
                current = uow.accounts.get_many(["acc_1"], for_update=True)["acc_1"]
                versions.append(current.version)
                uow.accounts.update_many([attrs.evolve(current, version=current.version + 1)])

        thread = threading.Thread(target=rival)
        thread.start()
        with storage.transaction(write=True) as uow:
            current = uow.accounts.get_many(["acc_1"], for_update=True)["acc_1"]
            locked.set()
            thread.join(0.3)  # the rival is blocked meanwhile
            uow.accounts.update_many([attrs.evolve(current, version=current.version + 1)])
        thread.join(_WAIT)

        with storage.transaction(write=False) as uow:
            assert ([1], 2) == (versions, uow.accounts.get_many(["acc_1"])["acc_1"].version)

    @requires("second_handle", "concurrent_writers", "row_locks")
    def test_row_lock_does_not_block_writers_of_other_accounts(
        self, storage: Storage, second_handle: Callable[[], Storage]
    ) -> None:
        """With row locks, a writer of another account commits while acc_1 is locked."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1"), account("acc_2")])
        other = second_handle()
        committed = threading.Event()

        def rival() -> None:
            with other.transaction(write=True) as uow:
                current = uow.accounts.get_many(["acc_2"], for_update=True)["acc_2"]
                uow.accounts.update_many([attrs.evolve(current, stage="customer")])
            committed.set()

        with storage.transaction(write=True) as uow:
            uow.accounts.get_many(["acc_1"], for_update=True)
            thread = threading.Thread(target=rival)
            thread.start()
            done_while_locked = committed.wait(_WAIT)
        thread.join(_WAIT)

        with storage.transaction(write=False) as uow:
            assert (True, "customer") == (
                done_while_locked,
                uow.accounts.get_many(["acc_2"])["acc_2"].stage,
            )

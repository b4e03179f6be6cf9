"""Port tests: the account repository (``uow.accounts``)."""

from __future__ import annotations

import pytest

from relationkit.domain.customers import Account, AccountKind
from relationkit.errors import DuplicateKey, NotFound
from relationkit.storage.ports import Storage
from relationkit.testing.base import T0, SuiteBase
from relationkit.testing.port.records import account

__all__ = ["AccountPort"]


class AccountPort(SuiteBase):
    """Accounts: stored, fetched by id, updated, paged in id order."""

    def test_duplicate_account_id_raises_duplicate_key(self, storage: Storage) -> None:
        """Adding an account whose id is stored raises DuplicateKey("account_id")."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])

        assert "account_id" == caught.value.constraint

    def test_account_updates_are_stored(self, storage: Storage) -> None:
        """update_many stores name, stage, stage_since and version."""
        changed = Account(
            id="acc_1",
            name="Renamed",
            kind=AccountKind.B2B,
            stage="customer",
            stage_since=T0.add(days=1),
            created_at=T0,
            version=7,
        )
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
        with storage.transaction(write=True) as uow:
            uow.accounts.update_many([changed])

        with storage.transaction(write=False) as uow:
            assert {"acc_1": changed} == uow.accounts.get_many(["acc_1", "acc_404"])

    def test_update_of_an_unknown_account_raises_not_found(self, storage: Storage) -> None:
        """update_many() naming an account that is not stored raises NotFound, storing nothing."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])

        with pytest.raises(NotFound), storage.transaction(write=True) as uow:
            uow.accounts.update_many([account("acc_1", stage="customer"), account("acc_404")])

        with storage.transaction(write=False) as uow:
            assert ({"acc_1": account("acc_1")}, ["acc_1"]) == (
                uow.accounts.get_many(["acc_1", "acc_404"]),
                uow.accounts.ids(),
            )

    def test_account_ids_page_in_id_order(self, storage: Storage) -> None:
        """accounts.ids() returns ids in id order, after ``after``, at most ``limit``."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account(f"acc_{n}") for n in (3, 1, 4, 2, 5)])

        with storage.transaction(write=False) as uow:
            assert (["acc_1", "acc_2"], ["acc_3", "acc_4"], ["acc_5"]) == (
                uow.accounts.ids(limit=2),
                uow.accounts.ids(after="acc_2", limit=2),
                uow.accounts.ids(after="acc_4", limit=2),
            )

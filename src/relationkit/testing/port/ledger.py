"""Port tests: the append-only loyalty ledger (``uow.ledger``)."""

from __future__ import annotations

import pytest

from relationkit.domain.ledger import Allocation, EntryKind
from relationkit.errors import DanglingReference, DuplicateKey
from relationkit.storage.ports import Storage
from relationkit.testing.base import T0, SuiteBase
from relationkit.testing.port.records import account, entry

__all__ = ["LedgerPort"]


class LedgerPort(SuiteBase):
    """Ledger entries: stored whole, listed in ``seq`` order, one entry per ``seq``."""

    def test_entries_round_trip_with_their_allocations(self, storage: Storage) -> None:
        """Every field of an entry comes back equal: dates, lots, allocations, debt."""
        earned = entry("led_1", "acc_1", 1, points=100, expires_at=T0.add(days=30))
        pending = entry(
            "led_2", "acc_1", 2, kind=EntryKind.PENDING, points=50, available_at=T0.add(days=14)
        )
        redeemed = entry(
            "led_3",
            "acc_1",
            3,
            kind=EntryKind.REDEEM,
            points=-40,
            at=T0.add(hours=1),
            allocations=[Allocation(lot_id="led_1", points=40)],
        )
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            uow.ledger.add_many([earned, pending, redeemed])

        with storage.transaction(write=False) as uow:
            assert [earned, pending, redeemed] == uow.ledger.for_account("acc_1")

    def test_entries_come_back_in_seq_order_whatever_their_ids(self, storage: Storage) -> None:
        """for_account() orders by seq, not by id or time: ids carry a writer's clock,
        which may sort the other way."""
        entries = [
            entry(f"led_{9 - seq}", "acc_1", seq, points=seq, at=T0.subtract(minutes=seq))
            for seq in (1, 2, 3, 4)
        ]
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            uow.ledger.add_many(entries[:2])
        with storage.transaction(write=True) as uow:
            uow.ledger.add_many(entries[2:])

        with storage.transaction(write=False) as uow:
            assert [1, 2, 3, 4] == [e.seq for e in uow.ledger.for_account("acc_1")]

    def test_taken_seq_raises_duplicate_key(self, storage: Storage) -> None:
        """A second entry with an account's taken seq (a concurrent writer) raises
        DuplicateKey("ledger_seq"), and the first entry stays the only one."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1"), account("acc_2")])
            uow.ledger.add_many([entry("led_1", "acc_1", 1), entry("led_2", "acc_2", 1)])

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.ledger.add_many([entry("led_3", "acc_1", 1)])

        with storage.transaction(write=False) as uow:
            assert ("ledger_seq", ["led_1"]) == (
                caught.value.constraint,
                [e.id for e in uow.ledger.for_account("acc_1")],
            )

    def test_duplicate_entry_id_raises_duplicate_key(self, storage: Storage) -> None:
        """A second entry with a stored id raises DuplicateKey("entry_id")."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            uow.ledger.add_many([entry("led_1", "acc_1", 1)])

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.ledger.add_many([entry("led_1", "acc_1", 2)])

        assert "entry_id" == caught.value.constraint

    def test_entry_of_an_unknown_account_is_a_dangling_reference(self, storage: Storage) -> None:
        """An entry for an account that is not stored raises DanglingReference("account_id")."""
        with pytest.raises(DanglingReference) as caught, storage.transaction(write=True) as uow:
            uow.ledger.add_many([entry("led_1", "acc_404", 1)])

        with storage.transaction(write=False) as uow:
            assert ("account_id", []) == (caught.value.field, uow.ledger.for_account("acc_404"))

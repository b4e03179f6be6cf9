"""Port tests: reads that grow with history come in pages, and the loyalty state rows."""

from __future__ import annotations

import attrs
import pytest

from relationkit.domain.points import OpenLot, PointsState
from relationkit.errors import DanglingReference
from relationkit.storage.ports import Storage
from relationkit.testing.base import T0, SuiteBase
from relationkit.testing.port.records import account, customer, entry, interaction, purchase

__all__ = ["PagingPort", "PointsPort"]


class PagingPort(SuiteBase):
    """Interactions and purchases page by (time, id); the ledger pages by seq."""

    def test_interactions_and_purchases_page_by_time_then_id(self, storage: Storage) -> None:
        """Pages of two, each starting after the last row of the one before, cover all
        rows once, in (time, id) order, ties on time broken by id."""
        times = [T0.add(hours=h) for h in (3, 1, 1, 2, 0)]
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            uow.customers.add_many([customer("cus_1", "acc_1")])
            for n, at in enumerate(times):
                uow.interactions.add(interaction(f"int_{n}", "acc_1", at))
            uow.purchases.add_many(
                [
                    purchase(f"pur_{n}", f"o{n}", "acc_1", "cus_1", at=at)
                    for n, at in enumerate(times)
                ]
            )

        with storage.transaction(write=False) as uow:
            for repo in (uow.interactions, uow.purchases):
                whole = repo.for_account("acc_1")
                pages = []
                cursor = None
                while True:
                    page = repo.for_account("acc_1", after=cursor, limit=2)
                    pages.append([row.id for row in page])
                    if len(page) < 2:
                        break
                    cursor = (page[-1].occurred_at, page[-1].id)
                prefix = whole[0].id.split("_")[0]
                assert [[f"{prefix}_{n}" for n in page] for page in ([4, 1], [2, 3], [0])] == pages
                assert [row.id for row in whole] == [i for page in pages for i in page]

    def test_the_ledger_pages_by_seq_and_finds_entries_by_source_and_id(
        self, storage: Storage
    ) -> None:
        """for_account(after_seq=, limit=) pages; by_source() and get() find single entries."""
        entries = [entry(f"led_{n}", "acc_1", n, points=n) for n in range(1, 6)]
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1"), account("acc_2")])
            uow.ledger.add_many(entries)

        with storage.transaction(write=False) as uow:
            assert [[1, 2], [3, 4], [5]] == [
                [e.seq for e in uow.ledger.for_account("acc_1", after_seq=a, limit=2)]
                for a in (0, 2, 4)
            ]
            assert [entries[2]] == uow.ledger.by_source("acc_1", "test:led_3")
            assert [] == uow.ledger.by_source("acc_2", "test:led_3")
            assert (entries[3], None) == (uow.ledger.get("led_4"), uow.ledger.get("led_9"))


class PointsPort(SuiteBase):
    """The loyalty state beside the ledger: one row per account, one per open lot."""

    def test_state_rows_are_upserted_and_lots_opened_and_closed(self, storage: Storage) -> None:
        """put_many() inserts then replaces; put_lots() likewise; close_lots() deletes."""
        state = PointsState(account_id="acc_1", last_seq=1, balance=100, earned=100)
        lot = OpenLot(
            id="led_1", account_id="acc_1", pending=False, points=100, remaining=100, at=T0
        )
        pending = OpenLot(
            id="led_2",
            account_id="acc_1",
            pending=True,
            points=50,
            remaining=50,
            at=T0,
            available_at=T0.add(days=14),
            source="order:o1",
        )
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1"), account("acc_2")])
            uow.points.put_many([state])
            uow.points.put_lots([lot, pending])
        with storage.transaction(write=True) as uow:
            uow.points.put_many([attrs.evolve(state, balance=60, next_due=T0.add(days=14))])
            uow.points.put_lots([attrs.evolve(lot, remaining=60)])
            uow.points.close_lots(["led_2", "led_unknown"])

        with storage.transaction(write=False) as uow:
            assert {"acc_1": attrs.evolve(state, balance=60, next_due=T0.add(days=14))} == (
                uow.points.get_many(["acc_1", "acc_2"])
            )
            assert {"acc_1": [attrs.evolve(lot, remaining=60)], "acc_2": []} == (
                uow.points.open_lots(["acc_1", "acc_2"])
            )

    def test_state_of_an_unknown_account_is_a_dangling_reference(self, storage: Storage) -> None:
        """A state row or a lot for an account that is not stored is refused."""
        with pytest.raises(DanglingReference) as caught, storage.transaction(write=True) as uow:
            uow.points.put_many([PointsState(account_id="acc_9")])
        assert "account_id" == caught.value.field
        lot = OpenLot(id="led_1", account_id="acc_9", pending=False, points=1, remaining=1, at=T0)
        with pytest.raises(DanglingReference) as again, storage.transaction(write=True) as uow:
            uow.points.put_lots([lot])
        assert "account_id" == again.value.field

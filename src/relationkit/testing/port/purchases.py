"""Port tests: the purchase repository (``uow.purchases``), refunds included."""

from __future__ import annotations

import attrs
import pytest

from relationkit.errors import DanglingReference, DuplicateKey
from relationkit.storage.ports import Storage
from relationkit.testing.base import T0, SuiteBase, eur
from relationkit.testing.port.records import purchase, refund, seed

__all__ = ["PurchasePort"]


class PurchasePort(SuiteBase):
    """Purchases and refunds: unique order and refund ids, parents required, time order."""

    def test_duplicate_order_id_raises_duplicate_key(self, storage: Storage) -> None:
        """A second purchase with a stored order id raises DuplicateKey("order_id")."""
        with storage.transaction(write=True) as uow:
            seed(uow)
            uow.purchases.add_many([purchase("pur_1", "o1", "acc_1", "cus_1")])

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.purchases.add_many([purchase("pur_2", "o1", "acc_1", "cus_1")])

        assert "order_id" == caught.value.constraint

    def test_duplicate_refund_id_raises_duplicate_key(self, storage: Storage) -> None:
        """A second refund with a stored refund id raises DuplicateKey("refund_id")."""
        with storage.transaction(write=True) as uow:
            seed(uow)
            uow.purchases.add_many([purchase("pur_1", "o1", "acc_1", "cus_1")])
            uow.purchases.add_refund(refund("r1", "o1"))

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.purchases.add_refund(refund("r1", "o1"))

        assert "refund_id" == caught.value.constraint

    def test_purchase_of_an_unknown_account_is_a_dangling_reference(self, storage: Storage) -> None:
        """A purchase for an account that is not stored raises DanglingReference("account_id")."""
        with storage.transaction(write=True) as uow:
            seed(uow)

        with pytest.raises(DanglingReference) as caught, storage.transaction(write=True) as uow:
            uow.purchases.add_many([purchase("pur_1", "o1", "acc_404", "cus_1")])

        with storage.transaction(write=False) as uow:
            assert ("account_id", {}) == (caught.value.field, uow.purchases.get_many(["o1"]))

    def test_refund_of_an_unknown_order_is_a_dangling_reference(self, storage: Storage) -> None:
        """A refund of an order that is not stored raises DanglingReference("order_id")."""
        with storage.transaction(write=True) as uow:
            seed(uow)

        with pytest.raises(DanglingReference) as caught, storage.transaction(write=True) as uow:
            uow.purchases.add_refund(refund("r1", "o404"))

        with storage.transaction(write=False) as uow:
            assert ("order_id", None) == (caught.value.field, uow.purchases.get_refund("r1"))

    def test_purchases_in_occurred_at_then_id_order(self, storage: Storage) -> None:
        """purchases.for_account() orders by occurred_at, ties broken by id."""
        with storage.transaction(write=True) as uow:
            seed(uow)
            uow.purchases.add_many(
                [
                    purchase("pur_4", "o4", "acc_1", "cus_1", at=T0.add(hours=1)),
                    purchase("pur_2", "o2", "acc_1", "cus_1", at=T0.add(hours=2)),
                    purchase("pur_3", "o3", "acc_1", "cus_1", at=T0.add(hours=1)),
                ]
            )

        with storage.transaction(write=False) as uow:
            assert ["o3", "o4", "o2"] == [p.order_id for p in uow.purchases.for_account("acc_1")]

    def test_purchases_come_back_with_their_refunds(self, storage: Storage) -> None:
        """get_many() returns purchases with lines and refunds, oldest refund first."""
        stored = purchase("pur_1", "o1", "acc_1", "cus_1", total=eur("30.00"))
        refunds = [
            attrs.evolve(
                refund(f"r{n}", "o1", at=T0.add(hours=n)), reason=None if n % 2 else "damaged"
            )
            for n in (1, 2)
        ]
        with storage.transaction(write=True) as uow:
            seed(uow)
            uow.purchases.add_many([stored])
            uow.purchases.add_refund(refunds[0])
        with storage.transaction(write=True) as uow:
            uow.purchases.add_refund(refunds[1])

        with storage.transaction(write=False) as uow:
            assert ({"o1": attrs.evolve(stored, refunds=tuple(refunds))}, refunds[1]) == (
                uow.purchases.get_many(["o1", "o404"]),
                uow.purchases.get_refund("r2"),
            )

    def test_refunds_come_back_in_occurred_at_order(self, storage: Storage) -> None:
        """Refunds recorded out of time order (a back-dated one last) come back by
        occurred_at, from get_many() and from for_account() alike."""
        refunds = [
            refund("r1", "o1", at=T0.add(days=2)),
            refund("r3", "o1", at=T0.subtract(days=5)),
        ]
        with storage.transaction(write=True) as uow:
            seed(uow)
            uow.purchases.add_many([purchase("pur_1", "o1", "acc_1", "cus_1")])
            for one in refunds:
                uow.purchases.add_refund(one)

        with storage.transaction(write=False) as uow:
            assert (["r3", "r1"], ["r3", "r1"]) == (
                [r.refund_id for r in uow.purchases.get_many(["o1"])["o1"].refunds],
                [r.refund_id for p in uow.purchases.for_account("acc_1") for r in p.refunds],
            )

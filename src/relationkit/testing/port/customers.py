"""Port tests: the customer repository (``uow.customers``)."""

from __future__ import annotations

import pytest

from relationkit.errors import DanglingReference, DuplicateKey, NotFound
from relationkit.storage.ports import Storage
from relationkit.testing.base import SuiteBase
from relationkit.testing.port.records import account, customer, seed

__all__ = ["CustomerPort"]


class CustomerPort(SuiteBase):
    """Customers: unique email (any case) and external id, look-ups, updates, order."""

    @pytest.mark.parametrize(
        ("constraint", "clash"),
        [
            ("email", {"email": "ALICE@example.com"}),
            ("external_id", {"external_id": "x1"}),
        ],
    )
    def test_unique_customer_fields_raise_duplicate_key(
        self, storage: Storage, constraint: str, clash: dict[str, str]
    ) -> None:
        """Inserting a customer with a taken email (any case) or external id: DuplicateKey."""
        with storage.transaction(write=True) as uow:
            seed(uow)

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.customers.add_many(
                [
                    customer(
                        "cus_2",
                        "acc_1",
                        email=clash.get("email"),
                        external_id=clash.get("external_id"),
                    )
                ]
            )

        assert constraint == caught.value.constraint

    def test_duplicate_customer_id_raises_duplicate_key(self, storage: Storage) -> None:
        """Adding a customer whose id is stored raises DuplicateKey("customer_id")."""
        with storage.transaction(write=True) as uow:
            seed(uow)

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.customers.add_many([customer("cus_1", "acc_1")])

        assert "customer_id" == caught.value.constraint

    def test_customer_of_an_unknown_account_is_a_dangling_reference(self, storage: Storage) -> None:
        """Adding a customer whose account is not stored raises DanglingReference("account_id")."""
        with pytest.raises(DanglingReference) as caught, storage.transaction(write=True) as uow:
            uow.customers.add_many([customer("cus_1", "acc_404")])

        with storage.transaction(write=False) as uow:
            assert ("account_id", {}) == (caught.value.field, uow.customers.get_many(["cus_1"]))

    def test_update_to_a_taken_email_raises_duplicate_key(self, storage: Storage) -> None:
        """customers.update() to another customer's email raises DuplicateKey("email")."""
        with storage.transaction(write=True) as uow:
            seed(uow)
            uow.customers.add_many([customer("cus_2", "acc_1", email="bob@example.com")])

        with pytest.raises(DuplicateKey) as caught, storage.transaction(write=True) as uow:
            uow.customers.update(customer("cus_2", "acc_1", email="Alice@example.com"))

        assert "email" == caught.value.constraint

    def test_update_of_an_unknown_customer_raises_not_found(self, storage: Storage) -> None:
        """customers.update() of a customer that is not stored raises NotFound, adding nobody."""
        with storage.transaction(write=True) as uow:
            seed(uow)

        with pytest.raises(NotFound), storage.transaction(write=True) as uow:
            uow.customers.update(customer("cus_404", "acc_1"))

        with storage.transaction(write=False) as uow:
            assert ["cus_1"] == [c.id for c in uow.customers.for_account("acc_1")]

    def test_update_to_an_unknown_account_is_a_dangling_reference(self, storage: Storage) -> None:
        """customers.update() moving a customer to an unknown account: DanglingReference."""
        with storage.transaction(write=True) as uow:
            seed(uow)

        with pytest.raises(DanglingReference) as caught, storage.transaction(write=True) as uow:
            uow.customers.update(customer("cus_1", "acc_404"))

        assert "account_id" == caught.value.field

    def test_customer_lookups(self, storage: Storage) -> None:
        """by_email takes the lower-cased key; by_external_ids and get_many skip unknowns."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            alice = customer("cus_1", "acc_1", email="Alice@Example.com", external_id="x1")
            uow.customers.add_many([alice])

        with storage.transaction(write=False) as uow:
            assert (alice, {"x1": alice}, {"cus_1": alice}) == (
                uow.customers.by_email("alice@example.com"),
                uow.customers.by_external_ids(["x1", "nope"]),
                uow.customers.get_many(["cus_1", "cus_nope"]),
            )

    def test_customers_of_an_account_in_id_order(self, storage: Storage) -> None:
        """customers.for_account() lists an account's people by id."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1"), account("acc_2")])
            uow.customers.add_many(
                [
                    customer("cus_2", "acc_1"),
                    customer("cus_3", "acc_2"),
                    customer("cus_1", "acc_1"),
                ]
            )

        with storage.transaction(write=False) as uow:
            assert (["cus_1", "cus_2"], ["cus_3"]) == (
                [c.id for c in uow.customers.for_account("acc_1")],
                [c.id for c in uow.customers.for_account("acc_2")],
            )

"""Port tests: the store never shares objects with its caller.

The models are frozen, but a customer's ``attributes`` is a dict: a backend
that kept the caller's dict, or handed out its own, would let a mutation
outside a transaction change what is stored.
"""

from __future__ import annotations

from relationkit.storage.ports import Storage
from relationkit.testing.base import SuiteBase
from relationkit.testing.port.records import account, customer

__all__ = ["CopyPort"]


class CopyPort(SuiteBase):
    """Values go in and come out as copies."""

    def test_changing_the_dict_passed_in_changes_nothing_stored(self, storage: Storage) -> None:
        """Mutating the attributes dict given to add_many(), before or after the commit,
        changes nothing stored."""
        attributes: dict[str, object] = {"city": "Lyon", "tags": ["vip"]}
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            uow.customers.add_many([customer("cus_1", "acc_1", attributes=attributes)])
            attributes["city"] = "Paris"

        attributes["tags"].append("new")  # type: ignore[attr-defined]

        with storage.transaction(write=False) as uow:
            stored = uow.customers.get_many(["cus_1"])["cus_1"]
        assert {"city": "Lyon", "tags": ["vip"]} == stored.attributes

    def test_changing_a_returned_customer_changes_nothing_stored(self, storage: Storage) -> None:
        """Mutating the attributes of a customer the store returned changes nothing stored."""
        with storage.transaction(write=True) as uow:
            uow.accounts.add_many([account("acc_1")])
            uow.customers.add_many(
                [customer("cus_1", "acc_1", email="a@example.com", attributes={"city": "Lyon"})]
            )

        with storage.transaction(write=False) as uow:
            returned = [
                uow.customers.get_many(["cus_1"])["cus_1"],
                uow.customers.by_email("a@example.com"),
                *uow.customers.for_account("acc_1"),
            ]
        for n, found in enumerate(returned):
            assert found is not None
            found.attributes["city"] = f"changed {n}"

        with storage.transaction(write=False) as uow:
            assert {"city": "Lyon"} == uow.customers.get_many(["cus_1"])["cus_1"].attributes

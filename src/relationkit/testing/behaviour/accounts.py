"""Behaviour: B2B accounts, their contacts and roles."""

from __future__ import annotations

import pytest

import relationkit as rk
from relationkit.domain.customers import AccountKind
from relationkit.errors import Conflict, NotFound
from relationkit.testing.base import T0, SuiteBase

__all__ = ["AccountBehaviour"]


class AccountBehaviour(SuiteBase):
    """Accounts: B2B companies with contacts and roles."""

    def test_b2b_account_starts_in_the_initial_stage(self, kit: rk.RelationKit) -> None:
        """A new B2B account is stored with its kind, name and the initial stage."""
        acme = kit.accounts.create(name="ACME SA", kind=rk.AccountKind.B2B)

        assert acme == kit.accounts.get(acme.id)
        assert (AccountKind.B2B, "lead", T0) == (acme.kind, acme.stage, acme.stage_since)

    def test_contacts_come_back_with_their_roles_in_creation_order(
        self, kit: rk.RelationKit
    ) -> None:
        """contacts() lists a company's people with their roles, oldest first."""
        acme = kit.accounts.create(name="ACME SA")
        bob = kit.customers.create(
            email="bob@acme.example", name="Bob", account_id=acme.id, role="buyer"
        )
        eve = kit.customers.create(name="Eve", account_id=acme.id, role="finance")
        kit.customers.create(name="Someone Else")

        contacts = kit.accounts.contacts(acme.id)

        assert [(bob.id, "buyer"), (eve.id, "finance")] == [(c.id, c.role) for c in contacts]

    def test_contact_id_resolves_to_the_company(self, kit: rk.RelationKit) -> None:
        """An operation given a contact's id acts on the contact's B2B account."""
        acme = kit.accounts.create(name="ACME SA")
        bob = kit.customers.create(name="Bob", account_id=acme.id, role="buyer")

        assert (acme.id, [bob]) == (kit.accounts.get(bob.id).id, kit.accounts.contacts(bob.id))

    def test_b2c_account_holds_one_person(self, kit: rk.RelationKit) -> None:
        """Joining a B2C account that already has its person raises Conflict."""
        alice = kit.customers.create(name="Alice")

        with pytest.raises(Conflict):
            kit.customers.create(name="Intruder", account_id=alice.account_id)

        assert [alice] == kit.accounts.contacts(alice.account_id)

    def test_joining_an_unknown_account_is_not_found(self, kit: rk.RelationKit) -> None:
        """create(account_id=...) with an unknown account raises NotFound."""
        with pytest.raises(NotFound):
            kit.customers.create(name="Bob", account_id="acc_unknown", role="buyer")

        assert 0 == kit.customers.count()

"""Behaviour: customers created, found, updated and upserted through the kit."""

from __future__ import annotations

from typing import Any

import pytest

import relationkit as rk
from relationkit.domain.customers import AccountKind
from relationkit.errors import Conflict, NotFound
from relationkit.testing.base import T0, SuiteBase

__all__ = ["CustomerBehaviour"]


class CustomerBehaviour(SuiteBase):
    """Customers: creation, look-ups, uniqueness, updates and upserts."""

    def test_create_gives_the_customer_an_own_b2c_account(self, kit: rk.RelationKit) -> None:
        """A customer created without account_id gets a B2C account named after them."""
        alice = kit.customers.create(email="alice@example.com", name="Alice Martin")

        account = kit.accounts.get(alice.account_id)

        assert (AccountKind.B2C, "Alice Martin", "lead") == (
            account.kind,
            account.name,
            account.stage,
        )
        assert [alice] == kit.accounts.contacts(account.id)

    def test_get_returns_what_create_returned(self, kit: rk.RelationKit) -> None:
        """Every field of a created customer round-trips through the store."""
        alice = kit.customers.create(
            email="Alice@Example.com",
            name="Alice Martin",
            external_id="shop-user-42",
            attributes={"city": "Lyon"},
        )

        assert alice == kit.customers.get(alice.id)

    def test_get_by_email_ignores_case(self, kit: rk.RelationKit) -> None:
        """get_by_email finds the customer whatever the case of the address."""
        alice = kit.customers.create(email="Alice@Example.com", name="Alice")

        assert alice == kit.customers.get_by_email("ALICE@example.COM")

    def test_get_by_external_id(self, kit: rk.RelationKit) -> None:
        """get_by_external_id finds the customer by the host's id."""
        alice = kit.customers.create(name="Alice", external_id="shop-user-42")

        assert alice == kit.customers.get_by_external_id("shop-user-42")

    def test_external_ids_are_case_sensitive(self, kit: rk.RelationKit) -> None:
        """External ids are the host's opaque keys: "A1" and "a1" are two people."""
        upper = kit.customers.create(name="Upper", external_id="A1")
        lower = kit.customers.create(name="Lower", external_id="a1")

        assert (upper, lower) == (
            kit.customers.get_by_external_id("A1"),
            kit.customers.get_by_external_id("a1"),
        )

    def test_duplicate_email_in_another_case_is_a_conflict(self, kit: rk.RelationKit) -> None:
        """A second customer with the same email in another case raises Conflict."""
        kit.customers.create(email="alice@example.com", name="Alice")

        with pytest.raises(Conflict) as caught:
            kit.customers.create(email="ALICE@example.com", name="Impostor")

        assert 1 == kit.customers.count()
        assert "alice@example.com" not in str(caught.value).lower()

    def test_duplicate_external_id_is_a_conflict(self, kit: rk.RelationKit) -> None:
        """A second customer with the same external id raises Conflict, writing nothing."""
        kit.customers.create(name="Alice", external_id="u-1")

        with pytest.raises(Conflict):
            kit.customers.create(name="Bob", external_id="u-1")

        assert (1, {"lead": 1}) == (
            kit.customers.count(),
            {k: n for k, n in kit.lifecycle.distribution().items() if n},
        )

    def test_unknown_id_is_not_found(self, kit: rk.RelationKit) -> None:
        """get on an unknown id raises NotFound, which is also a LookupError."""
        with pytest.raises(NotFound) as caught:
            kit.customers.get("cus_unknown")

        assert isinstance(caught.value, LookupError)

    def test_unknown_email_is_not_found_without_echoing_it(self, kit: rk.RelationKit) -> None:
        """get_by_email on an unknown address raises NotFound not naming the address."""
        with pytest.raises(NotFound) as caught:
            kit.customers.get_by_email("ghost@example.com")

        assert "ghost" not in str(caught.value)

    def test_unknown_external_id_is_not_found(self, kit: rk.RelationKit) -> None:
        """get_by_external_id on an unknown id raises NotFound."""
        with pytest.raises(NotFound):
            kit.customers.get_by_external_id("nobody")

    def test_attributes_round_trip_as_json(self, kit: rk.RelationKit) -> None:
        """Nested JSON attributes (unicode, numbers, booleans, nulls) come back equal."""
        attributes: dict[str, Any] = {
            "city": "Zürich",
            "tags": ["vip", "早期"],
            "visits": 12,
            "ratio": 0.25,
            "opt_in": True,
            "notes": None,
            "address": {"line": ["1 rue de la Paix"], "zip": "75002"},
        }
        alice = kit.customers.create(name="Alice", attributes=attributes)

        assert attributes == kit.customers.get(alice.id).attributes

    def test_update_changes_fields_and_updated_at(
        self, kit: rk.RelationKit, clock: rk.FrozenClock
    ) -> None:
        """update stores the new values and stamps updated_at with the clock."""
        alice = kit.customers.create(email="alice@example.com", name="Alice")
        later = clock.advance(days=2)

        kit.customers.update(alice.id, name="Alice Martin", attributes={"tier": "gold"})

        stored = kit.customers.get(alice.id)
        assert ("Alice Martin", {"tier": "gold"}, T0, later) == (
            stored.name,
            stored.attributes,
            stored.created_at,
            stored.updated_at,
        )

    def test_update_with_none_clears_an_optional_field(self, kit: rk.RelationKit) -> None:
        """update(email=None) clears the email, which frees it for someone else."""
        alice = kit.customers.create(email="alice@example.com", name="Alice")

        kit.customers.update(alice.id, email=None)
        bob = kit.customers.create(email="alice@example.com", name="Bob")

        assert (None, bob) == (
            kit.customers.get(alice.id).email,
            kit.customers.get_by_email("alice@example.com"),
        )

    def test_changed_email_frees_the_old_one(self, kit: rk.RelationKit) -> None:
        """After a change of email, the old address is free and the new one taken."""
        alice = kit.customers.create(email="alice@example.com", name="Alice")

        kit.customers.update(alice.id, email="alice@work.example")
        bob = kit.customers.create(email="ALICE@example.com", name="Bob")

        assert (alice.id, bob.id) == (
            kit.customers.get_by_email("alice@work.example").id,
            kit.customers.get_by_email("alice@example.com").id,
        )

    def test_update_to_a_taken_email_is_a_conflict(self, kit: rk.RelationKit) -> None:
        """Changing an email to another customer's (in any case) raises Conflict."""
        kit.customers.create(email="alice@example.com", name="Alice")
        bob = kit.customers.create(email="bob@example.com", name="Bob")

        with pytest.raises(Conflict):
            kit.customers.update(bob.id, email="Alice@Example.com")

        assert "bob@example.com" == kit.customers.get(bob.id).email

    def test_update_of_unknown_customer_is_not_found(self, kit: rk.RelationKit) -> None:
        """update on an unknown id raises NotFound."""
        with pytest.raises(NotFound):
            kit.customers.update("cus_unknown", name="Ghost")

    def test_upsert_creates_then_updates_the_same_customer(self, kit: rk.RelationKit) -> None:
        """upsert creates on first sight, then updates only the fields given."""
        first = kit.customers.upsert(external_id="u-7", email="zoe@example.com", name="Zoe")

        second = kit.customers.upsert(external_id="u-7", name="Zoé Dupont")

        assert (first.id, "zoe@example.com", "Zoé Dupont", 1) == (
            second.id,
            second.email,
            second.name,
            kit.customers.count(),
        )
        assert second == kit.customers.get(first.id)

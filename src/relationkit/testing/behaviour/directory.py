"""Behaviour: customers and accounts listed, searched and paged through the kit."""

from __future__ import annotations

import pendulum

import relationkit as rk
from relationkit.testing.base import SuiteBase, eur

__all__ = ["DirectoryBehaviour"]


def _people(kit: rk.RelationKit) -> dict[str, rk.Customer]:
    acme = kit.accounts.create(name="ACME SA")
    made = {
        "alice": kit.customers.create(email="Alice.Martin@Example.com", name="Alice Martin"),
        "albert": kit.customers.create(
            email="albert@example.com", name="Albert", external_id="u-7"
        ),
        "bob": kit.customers.create(
            email="bob@acme.example", name="Bob", account_id=acme.id, role="buyer"
        ),
        "under": kit.customers.create(email="a_b@example.com", name="A_B"),
    }
    kit.purchases.record(
        order_id="o1",
        customer_id=made["alice"].id,
        occurred_at=pendulum.datetime(2026, 1, 2, tz="UTC"),
        total=eur("10.00"),
    )
    return made


class DirectoryBehaviour(SuiteBase):
    """Searches match every filter given, in id order, and page without gaps."""

    def test_customers_are_found_by_email_and_name_prefix_case_insensitively(
        self, kit: rk.RelationKit
    ) -> None:
        """Prefixes compare lower-cased; LIKE's wildcards in a prefix are taken literally."""
        made = _people(kit)

        assert [made["alice"].id, made["albert"].id] == [
            c.id for c in kit.customers.search(email_prefix="AL")
        ]
        assert [made["alice"].id] == [c.id for c in kit.customers.search(name_prefix="alice m")]
        assert [made["under"].id] == [c.id for c in kit.customers.search(email_prefix="a_")]
        assert [made["albert"].id] == [c.id for c in kit.customers.search(external_id="u-7")]
        assert [] == kit.customers.search(email_prefix="%")

    def test_customers_are_found_by_their_accounts_stage(self, kit: rk.RelationKit) -> None:
        """stage= filters on the customer's account: a purchase made Alice a customer."""
        made = _people(kit)

        assert [made["alice"].id] == [c.id for c in kit.customers.search(stage="customer")]
        assert {made["albert"].id, made["bob"].id, made["under"].id} == {
            c.id for c in kit.customers.search(stage="lead")
        }

    def test_customer_pages_follow_one_another(self, kit: rk.RelationKit) -> None:
        """Pages of one, each after the last, give every customer once, in id order."""
        _people(kit)
        every = kit.customers.search()
        pages = []
        last = None
        while page := kit.customers.search(limit=1, after=last):
            pages += page
            last = page[-1]

        assert every == pages
        assert every == list(kit.customers.iter_search(page_size=3))
        assert sorted(c.id for c in every) == [c.id for c in every]

    def test_accounts_are_found_by_kind_name_and_stage(self, kit: rk.RelationKit) -> None:
        """Account search filters on kind, name prefix and stage, and pages by id."""
        made = _people(kit)
        acme = kit.accounts.get(made["bob"].id)

        assert [acme.id] == [a.id for a in kit.accounts.search(kind=rk.AccountKind.B2B)]
        assert [acme.id] == [a.id for a in kit.accounts.search(name_prefix="acme")]
        assert [kit.accounts.get(made["alice"].id).id] == [
            a.id for a in kit.accounts.search(stage="customer")
        ]
        first = kit.accounts.search(limit=2)
        assert kit.accounts.search() == first + kit.accounts.search(after=first[-1])

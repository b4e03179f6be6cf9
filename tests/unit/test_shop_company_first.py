"""A contact's webhook that names its company by the shop's id before the company's own.

``customers.upsert`` and ``customers.create`` take ``account_external_id``
(and ``account_name``): the company is found, or created as a B2B account,
in the same transaction; bad combinations are typed errors that change
nothing. Storage-level behaviour (read back, rollbacks, two writers) is in
:mod:`relationkit.testing.behaviour.company_first`.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

import relationkit as rk
from relationkit.domain.customers import AccountKind
from relationkit.errors import Conflict, ValidationError
from relationkit.events import Event
from relationkit.testing.base import T0
from relationkit.testing.strategies import identifiers


def test_both_account_id_and_account_external_id_is_a_validation_error(
    kit: rk.RelationKit,
) -> None:
    """Naming the account twice is refused before anything is written."""
    acme = kit.accounts.create(name="ACME SA")

    with pytest.raises(ValidationError, match="account_external_id"):
        kit.customers.upsert(external_id="b-1", account_id=acme.id, account_external_id="co-1")

    assert (0, []) == (kit.customers.count(), kit.accounts.search(external_id="co-1"))


def test_account_name_without_account_external_id_is_a_validation_error(
    kit: rk.RelationKit,
) -> None:
    """``account_name`` names a company to create, so it needs ``account_external_id``."""
    with pytest.raises(ValidationError, match="account_name"):
        kit.customers.create(email="ana@example.com", account_name="ACME SA")

    assert 0 == kit.customers.count()


def test_an_empty_account_external_id_is_a_validation_error(kit: rk.RelationKit) -> None:
    """A blank company id is malformed input, named by its field."""
    with pytest.raises(ValidationError, match="account_external_id"):
        kit.customers.upsert(external_id="b-1", account_external_id="  ")

    assert 0 == kit.customers.count()


def test_an_upsert_naming_a_new_company_creates_it_as_b2b_with_the_contact(
    kit: rk.RelationKit, events: list[Event]
) -> None:
    """The company is created first (named ``account_name``), then its contact joins it."""
    buyer = kit.customers.upsert(
        external_id="b-1",
        email="buyer@acme.example",
        role="buyer",
        account_external_id="co-1",
        account_name="ACME SA",
    )

    company = kit.accounts.get_by_external_id("co-1")
    expected = (company.id, "buyer", "ACME SA", AccountKind.B2B, None)
    assert expected == (
        buyer.account_id,
        buyer.role,
        company.name,
        company.kind,
        company.source_updated_at,
    )
    wanted = ("AccountCreated", "CustomerCreated", "ContactAdded")
    assert list(wanted) == [type(e).__name__ for e in events if type(e).__name__ in wanted]


def test_create_takes_account_external_id_too(kit: rk.RelationKit) -> None:
    """``customers.create`` joins (or creates) the company named by the shop's id."""
    first = kit.customers.create(email="a@acme.example", account_external_id="co-2")
    second = kit.customers.create(email="b@acme.example", account_external_id="co-2")

    company = kit.accounts.get_by_external_id("co-2")
    assert (company.id, company.id, "co-2") == (first.account_id, second.account_id, company.name)


def test_an_existing_b2c_customer_naming_a_company_is_a_conflict_that_creates_nothing(
    kit: rk.RelationKit,
) -> None:
    """A customer already in their own account is moved with ``move``, not by an upsert."""
    kit.customers.upsert(external_id="b-3", email="c@example.com")

    with pytest.raises(Conflict):
        kit.customers.upsert(external_id="b-3", account_external_id="co-3")

    assert [] == kit.accounts.search(external_id="co-3")


def test_the_companys_own_upsert_fills_in_the_name_whatever_its_date(
    kit: rk.RelationKit,
) -> None:
    """The placeholder has no source time: an older company webhook still names it."""
    kit.customers.upsert(
        external_id="b-4", account_external_id="co-4", source_updated_at=T0.add(hours=2)
    )

    named = kit.accounts.upsert(external_id="co-4", name="Globex", source_updated_at=T0)

    assert ("Globex", T0) == (named.name, named.source_updated_at)


@settings(max_examples=25, deadline=None)
@given(external_id=identifiers(max_size=64))
def test_a_company_without_account_name_is_named_by_its_external_id(external_id: str) -> None:
    """Any valid shop id becomes the new company's name and is found by it again."""
    with rk.open(clock=rk.FrozenClock(T0)) as kit:
        buyer = kit.customers.upsert(external_id="b-5", account_external_id=external_id)

        company = kit.accounts.get_by_external_id(external_id)
        assert (buyer.account_id, external_id) == (company.id, company.name)

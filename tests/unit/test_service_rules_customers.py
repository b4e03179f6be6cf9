"""Service rules of customers, accounts and lifecycle that never reach the store.

Moved from the shipped contract suite (``relationkit.testing``), which ran
them again on every backend; they run once here, over memory.
"""

from __future__ import annotations

from typing import Any

import pytest

import relationkit as rk
from relationkit.errors import ValidationError


def test_malformed_email_names_the_field_and_writes_nothing(kit: rk.RelationKit) -> None:
    """A malformed email raises ValidationError(field="email"); no row is written."""
    with pytest.raises(ValidationError) as caught:
        kit.customers.create(email="not-an-email", name="Nobody")

    assert ("email", 0) == (caught.value.field, kit.customers.count())
    assert {"lead": 0} == {"lead": kit.lifecycle.distribution()["lead"]}


def test_customer_needs_an_email_a_name_or_an_external_id(kit: rk.RelationKit) -> None:
    """A customer with nothing to identify them is rejected."""
    with pytest.raises(ValidationError) as caught:
        kit.customers.create(attributes={"city": "Lyon"})

    assert ("customer", 0) == (caught.value.field, kit.customers.count())


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "Ann\x00"}, "name"),
        ({"name": "Ann", "attributes": {"note": "a\x00b"}}, "attributes"),
        ({"name": "Ann", "attributes": {"k\x00": 1}}, "attributes"),
    ],
    ids=["name", "attribute-value", "attribute-key"],
)
def test_nul_characters_are_a_validation_error(
    kit: rk.RelationKit, fields: dict[str, Any], field: str
) -> None:
    """Text no SQL database can store (NUL) is rejected up front, the same everywhere."""
    with pytest.raises(ValidationError) as caught:
        kit.customers.create(**fields)

    assert (field, 0) == (caught.value.field.partition("[")[0], kit.customers.count())


def test_role_without_a_b2b_account_is_invalid(kit: rk.RelationKit) -> None:
    """A role is for contacts of a B2B account; elsewhere it is a ValidationError."""
    with pytest.raises(ValidationError) as caught:
        kit.customers.create(name="Solo", role="buyer")

    assert ("role", 0) == (caught.value.field, kit.customers.count())


def test_empty_account_name_is_invalid(kit: rk.RelationKit) -> None:
    """An empty name raises ValidationError(field="name") and creates nothing."""
    with pytest.raises(ValidationError) as caught:
        kit.accounts.create(name="  ")

    assert ("name", 0) == (caught.value.field, sum(kit.lifecycle.distribution().values()))


def test_unknown_stage_is_a_validation_error(kit: rk.RelationKit) -> None:
    """A stage that is not in the graph raises ValidationError(field="to_stage")."""
    alice = kit.customers.create(name="Alice")

    with pytest.raises(ValidationError) as caught:
        kit.lifecycle.move(alice.id, "emperor")

    assert "to_stage" == caught.value.field

"""B2B account health: purchases, contacts active, recency per role."""

from __future__ import annotations

from typing import Any

import pytest

import relationkit as rk
from relationkit.domain.scoring import (
    AccountHealth,
    ContactActivity,
    HealthModel,
    PurchaseDay,
    account_health,
)
from relationkit.errors import ValidationError
from relationkit.testing.base import T0


def _health(days: list[PurchaseDay], contacts: list[ContactActivity], **kw: Any) -> AccountHealth:
    return account_health(
        HealthModel(**kw),
        account_id="acc_1",
        as_of=T0,
        today=T0.date(),
        days=days,
        contacts=contacts,
    )


def test_role_recency_decays_with_its_half_life() -> None:
    """A role touched one half-life ago is 0.5 fresh; a key role nobody holds is 0."""
    contacts = [
        ContactActivity(customer_id="cus_1", role="buyer", last_touch=T0.subtract(days=30)),
        ContactActivity(customer_id="cus_2", role="buyer", last_touch=T0.subtract(days=90)),
    ]
    health = _health([], contacts, roles=("buyer", "champion"))
    assert [("buyer", "cus_1", 30, 0.5), ("champion", None, None, 0.0)] == [
        (r.role, r.customer_id, r.days_since, r.freshness) for r in health.roles
    ]
    assert {"purchase_recency": 0.0, "coverage": 0.5, "roles": 0.25} == {
        f.factor: f.value for f in health.factors
    }


def test_the_score_is_the_weighted_mean_of_the_factors() -> None:
    """Fresh purchases on rhythm, steady spend, every contact active: health 100."""
    days = [PurchaseDay(day=T0.date().subtract(days=d), net_minor=500) for d in (150, 100, 50, 0)]
    contacts = [ContactActivity(customer_id="cus_1", role="buyer", last_touch=T0)]
    health = _health(days, contacts)
    assert (100, "good", 1, 1) == (
        health.score,
        health.band,
        health.contacts,
        health.active_contacts,
    )


def test_bad_models_are_refused() -> None:
    """A negative window or an empty role name raises ValidationError."""
    with pytest.raises(ValidationError):
        HealthModel(active_days=0)
    with pytest.raises(ValidationError):
        HealthModel(roles=("",))


def test_the_service_reads_contacts_and_their_touches(kit: rk.RelationKit) -> None:
    """Interactions and purchases of each contact count as its touches; idle contacts do not."""
    acme = kit.accounts.create(name="ACME SA", kind=rk.AccountKind.B2B)
    bob = kit.customers.create(email="bob@acme.example", account_id=acme.id, role="buyer")
    eve = kit.customers.create(email="eve@acme.example", account_id=acme.id, role="champion")
    kit.customers.create(email="old@acme.example", account_id=acme.id, role="user")
    kit.purchases.record(
        order_id="a-1",
        customer_id=bob.id,
        occurred_at=T0.subtract(days=10),
        total=rk.Money("100", "EUR"),
    )
    kit.interactions.log(
        eve.id,
        channel=rk.Channel.MEETING,
        direction=rk.Direction.OUTBOUND,
        subject="QBR",
        occurred_at=T0.subtract(days=30),
    )
    health = kit.scores.health(acme.id, HealthModel(roles=("buyer", "champion")))
    assert [("buyer", bob.id, 10), ("champion", eve.id, 30)] == [
        (r.role, r.customer_id, r.days_since) for r in health.roles
    ]
    assert (3, 2) == (health.contacts, health.active_contacts)
